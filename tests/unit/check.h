/* A very small unit-test harness: one test program per module.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   int main(void) { RUN(test_something); return check_summary("module"); }
 *
 * Each failed CHECK prints file:line and the expression; the program exits
 * non-zero when any check failed, and prints "N passed, N failed". */
#ifndef CORRAL_CHECK_H
#define CORRAL_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_current_failed;
static int check_tests_passed;
static int check_tests_failed;

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (!(expr)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #expr);                                                  \
            check_failures++;                                                \
            check_current_failed = 1;                                        \
        }                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                   \
    do {                                                                     \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);      \
        if (check_a_ != check_b_) {                                          \
            fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %s (%lld != %lld)\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);         \
            check_failures++;                                                \
            check_current_failed = 1;                                        \
        }                                                                    \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                   \
    do {                                                                     \
        const char *check_a_ = (a), *check_b_ = (b);                         \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {     \
            fprintf(stderr, "%s:%d: CHECK_EQ_STR failed: %s == %s (\"%s\" != \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
                    check_b_ ? check_b_ : "(null)");                         \
            check_failures++;                                                \
            check_current_failed = 1;                                        \
        }                                                                    \
    } while (0)

#define RUN(test)                                                            \
    do {                                                                     \
        check_current_failed = 0;                                            \
        test();                                                              \
        if (check_current_failed) {                                          \
            fprintf(stderr, "FAIL %s\n", #test);                             \
            check_tests_failed++;                                            \
        } else {                                                             \
            check_tests_passed++;                                            \
        }                                                                    \
    } while (0)

static inline int check_summary(const char *module)
{
    printf("%s: %d passed, %d failed\n", module, check_tests_passed,
           check_tests_failed);
    if (check_tests_passed + check_tests_failed == 0) {
        fprintf(stderr, "%s: no tests ran\n", module);
        return 1;
    }
    return check_failures ? 1 : 0;
}

#endif
