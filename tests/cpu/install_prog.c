/* An outside program built against the installed libzc (see install_test.sh). */
#include <stdio.h>
#include <string.h>

#include <zc/cpu.h>

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "install_prog: %s\n", what);
        failures++;
    }
}

int main(void)
{
    static unsigned char page[4096 + 1];
    expect(zc_is_zero(page, 4096), "zero page reported non-zero");
    page[4095] = 1;
    expect(!zc_is_zero(page, 4096), "non-zero last byte missed");
    expect(zc_is_zero(page + 4096, 1), "one zero byte reported non-zero");
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        if (!v->usable)
            continue;
        expect(!v->fn(page, 4096), v->name);
        expect(v->fn(page, 4095), v->name);
    }
    expect(zc_cpu_read_or(page, 4096) != 0, "read_or missed the non-zero byte");
    expect(zc_cpu_find("nonsense") == NULL, "nonsense variant found");
    printf("best = %s, %s\n", zc_cpu_best_name(), failures ? "FAILED" : "ok");
    return failures != 0;
}
