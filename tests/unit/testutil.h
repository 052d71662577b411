/* Shared helpers for the unit tests (cmocka 1.1.x has no double asserts). */
#ifndef HR_TESTUTIL_H
#define HR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |a - b| <= tol, printing both values when it fails. tol 0 means exact. */
#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b), t_ = (tol);                                                     \
        if (!(fabs(a_ - b_) <= t_)) {                                                              \
            print_error("%s = %.17g, expected %.17g (tolerance %g)\n", #a, a_, b_, t_);            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Relative tolerance: |a - b| <= rel * max(|b|, 1e-300). */
#define assert_rel(a, b, rel) assert_near((a), (b), (rel)*fmax(fabs((double)(b)), 1e-300))

/* Path of a file under tests/data (HR_TEST_DATA, set by CTest). */
static inline const char *test_data(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("HR_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", rel);
    return buf;
}

/* True when running under valgrind (scripts/valgrind-tests.sh). */
static inline int under_valgrind(void)
{
    return getenv("HR_VALGRIND") != NULL;
}

#endif
