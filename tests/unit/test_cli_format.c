/* Unit tests for the corral CLI's formatting helpers. */
#include "check.h"
#include "../../hypervisor/cli/cli.h"

static void test_mib(void)
{
    char buf[16];
    cli_format_mib(512, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "512M");
    cli_format_mib(1024, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "1G");
    cli_format_mib(1536, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "1.5G");
    cli_format_mib(4 << 20, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "4T");
    cli_format_mib(0, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "0M");
}

static void test_nic_spec(void)
{
    char buf[64];
    cli_nic_spec("br0", buf, sizeof(buf));
    CHECK_EQ_STR(buf, "bridge=br0");
    cli_nic_spec("bridge=br1,mac=02:00:00:00:00:01", buf, sizeof(buf));
    CHECK_EQ_STR(buf, "bridge=br1,mac=02:00:00:00:00:01");
    cli_nic_spec("", buf, sizeof(buf));
    CHECK_EQ_STR(buf, "");
}

static void test_listen_is_loopback_only(void)
{
    struct cli_listen l;
    char why[256];
    CHECK_EQ_INT(cli_parse_listen("127.0.0.1:5901", &l, why, sizeof(why)), 0);
    CHECK_EQ_STR(l.host, "127.0.0.1");
    CHECK_EQ_INT(l.port, 5901);
    CHECK_EQ_INT(l.family, AF_INET);
    CHECK_EQ_INT(cli_parse_listen("5999", &l, why, sizeof(why)), 0);
    CHECK_EQ_STR(l.host, "127.0.0.1");
    CHECK_EQ_INT(l.port, 5999);
    CHECK_EQ_INT(cli_parse_listen("localhost:6000", &l, why, sizeof(why)), 0);
    CHECK_EQ_STR(l.host, "127.0.0.1");
    CHECK_EQ_INT(cli_parse_listen("127.1.2.3:6000", &l, why, sizeof(why)), 0);
    CHECK_EQ_INT(cli_parse_listen("[::1]:5900", &l, why, sizeof(why)), 0);
    CHECK_EQ_INT(l.family, AF_INET6);
    struct sockaddr_storage ss;
    CHECK_EQ_INT(cli_listen_sockaddr(&l, &ss), sizeof(struct sockaddr_in6));

    CHECK_EQ_INT(cli_parse_listen("0.0.0.0:5900", &l, why, sizeof(why)), -1);
    CHECK(strstr(why, "not a loopback address") != NULL);
    CHECK_EQ_INT(cli_parse_listen("192.168.1.5:5900", &l, why, sizeof(why)), -1);
    CHECK_EQ_INT(cli_parse_listen("[::]:5900", &l, why, sizeof(why)), -1);
    CHECK_EQ_INT(cli_parse_listen("example.com:5900", &l, why, sizeof(why)), -1);
    CHECK(strstr(why, "not an IP address") != NULL);
    CHECK_EQ_INT(cli_parse_listen("127.0.0.1:0", &l, why, sizeof(why)), -1);
    CHECK_EQ_INT(cli_parse_listen("127.0.0.1:65536", &l, why, sizeof(why)), -1);
    CHECK_EQ_INT(cli_parse_listen("127.0.0.1:", &l, why, sizeof(why)), -1);
    CHECK_EQ_INT(cli_parse_listen("127.0.0.1:-5", &l, why, sizeof(why)), -1);
    CHECK(strstr(why, "not a port") != NULL);
}

int main(void)
{
    RUN(test_mib);
    RUN(test_nic_spec);
    RUN(test_listen_is_loopback_only);
    return check_summary("cli_format");
}
