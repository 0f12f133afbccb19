/* The bit fields the idxd driver prints in sysfs (op_cap, op_config,
 * errors), read into 32-bit words, in every format the kernels people run
 * print them:
 * - 6.1 and later (op_cap; errors from 6.3): a 256-bit bitmap ("%*pb"),
 *   eight comma-separated 32-bit hex words, most significant first;
 * - before that: up to four 64-bit words, least significant first,
 *   separated by spaces (op_cap "%#llx", so 0 prints "0"; errors
 *   "%#018llx"); the first kernels printed op_cap's first word only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsa/hw/internal.h"

static int parse_bitmap(const char *text, uint32_t words[8])
{
    unsigned w[8];
    int end = 0;
    if (sscanf(text, "%8x,%8x,%8x,%8x,%8x,%8x,%8x,%8x%n", &w[7], &w[6], &w[5], &w[4], &w[3],
               &w[2], &w[1], &w[0], &end) != 8 || text[end] != '\0')
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        words[i] = w[i];
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One number of the old format: optional 0x, hex digits of which 16 at
 * most are significant ("%#018llx" of 0 is eighteen zeros, no 0x). */
static bool hex_u64(const char *s, size_t n, uint64_t *out)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    while (n > 1 && *s == '0') {
        s++;
        n--;
    }
    if (n == 0 || n > 16)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

static int parse_u64_words(const char *text, uint32_t words[8])
{
    uint32_t w[8] = {0};
    unsigned n = 0;
    for (const char *p = text + strspn(text, " "); *p; p += strspn(p, " ")) {
        size_t len = strcspn(p, " ");
        uint64_t v;
        if (n == 4 || !hex_u64(p, len, &v))
            return -EINVAL;
        w[2 * n] = (uint32_t)v;
        w[2 * n + 1] = (uint32_t)(v >> 32);
        n++;
        p += len;
    }
    if (n == 0)
        return -EINVAL;
    memcpy(words, w, sizeof w);
    return 0;
}

int zc_dsa_bitmap_parse(const char *text, uint32_t words[8])
{
    return strchr(text, ',') ? parse_bitmap(text, words) : parse_u64_words(text, words);
}

/* The software error register (SWERR, 4 x 64 bits), as the idxd driver's
 * union sw_err_reg lays it out: word 0 bit 0 valid, 1 overflow, 3 WQ index
 * valid, 4 batch, bits 8..15 the error code (a completion status), 16..23
 * the WQ index, 32..39 the opcode; word 1 bits 0..15 the batch index. */
int zc_dsa_swerr_describe(const char *device, const char *text, char *buf, size_t len)
{
    uint32_t w[8];
    if (zc_dsa_bitmap_parse(text, w) != 0) {
        snprintf(buf, len, "unexpected format");
        return -EINVAL;
    }
    if (!(w[0] & 1)) {
        snprintf(buf, len, "no error recorded");
        return 0;
    }
    char where[64] = "";
    if (w[0] & (1u << 3))
        snprintf(where, sizeof where, " on wq%s.%u", strncmp(device, "dsa", 3) == 0 ? device + 3 : device,
                 (w[0] >> 16) & 0xff);
    char member[48] = "";
    if (w[0] & (1u << 4))
        snprintf(member, sizeof member, ", batch member %u", w[2] & 0xffff);
    snprintf(buf, len, "SWERR valid: error 0x%02x%s, opcode 0x%02x%s%s (dmesg says more)",
             (w[0] >> 8) & 0xff, where, w[1] & 0xff, member,
             w[0] & 2 ? ", more errors since (overflow)" : "");
    return 1;
}
