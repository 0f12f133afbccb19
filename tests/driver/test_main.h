/* main() of the tests that run the zcbench binary: argv[1] is the binary,
 * argv[2] an optional extra path (e.g. docs/csv-schema.md). */
#ifndef ZCB_TEST_MAIN_H
#define ZCB_TEST_MAIN_H

#include <stdio.h>

static const char *bin;
static const char *arg2;

#define ZCB_TEST_MAIN(...)                                                                 \
    int main(int argc, char **argv)                                                        \
    {                                                                                      \
        if (argc < 2) {                                                                    \
            fprintf(stderr, "usage: %s ZCBENCH [PATH]\n", argv[0]);                        \
            return 2;                                                                      \
        }                                                                                  \
        bin = argv[1];                                                                     \
        arg2 = argc > 2 ? argv[2] : NULL;                                                  \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                   \
        return cmocka_run_group_tests(tests, NULL, NULL);                                  \
    }

#endif
