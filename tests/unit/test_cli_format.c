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

int main(void)
{
    RUN(test_mib);
    RUN(test_nic_spec);
    return check_summary("cli_format");
}
