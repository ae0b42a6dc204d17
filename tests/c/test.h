/* test.h -- a minimal harness in libuv's manner: TEST(name) functions,
 * ASSERT macros that print file, line, expression and values, and a summary
 * line "N passed, N failed" that tools/run-tests.sh adds up. */
#ifndef LRE_TEST_H
#define LRE_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failed_flag;

#define ASSERT(expr)                                                                          \
    do {                                                                                      \
        if (!(expr)) {                                                                        \
            fprintf(stderr, "  %s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr);   \
            test_failed_flag = 1;                                                             \
            return;                                                                           \
        }                                                                                     \
    } while (0)

#define ASSERT_EQ(a, b)                                                                              \
    do {                                                                                             \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                        \
        if (va_ != vb_) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
            test_failed_flag = 1;                                                                    \
            return;                                                                                  \
        }                                                                                            \
    } while (0)

#define ASSERT_NEAR(a, b, tol)                                                                        \
    do {                                                                                              \
        double va_ = (a), vb_ = (b);                                                                  \
        if (!(fabs(va_ - vb_) <= (tol))) {                                                            \
            fprintf(stderr, "  %s:%d: %s ~ %s failed: %.17g vs %.17g\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
            test_failed_flag = 1;                                                                     \
            return;                                                                                   \
        }                                                                                             \
    } while (0)

#define ASSERT_STR_CONTAINS(s, sub)                                                                   \
    do {                                                                                              \
        if (!strstr((s), (sub))) {                                                                    \
            fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, (s), (sub)); \
            test_failed_flag = 1;                                                                     \
            return;                                                                                   \
        }                                                                                             \
    } while (0)

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

static int run_tests(const test_case *tests)
{
    int passed = 0, failed = 0;
    for (const test_case *t = tests; t->name; t++) {
        test_failed_flag = 0;
        t->fn();
        printf("%s - %s\n", test_failed_flag ? "not ok" : "ok", t->name);
        if (test_failed_flag) failed++;
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
