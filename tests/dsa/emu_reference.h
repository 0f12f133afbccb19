/* A reference model of the DSA operations the emu device model executes,
 * written from their semantics as plain byte loops (the sources are named
 * in emu_reference.c). It shares no code with dsa/emu/: test_emu_diff.c
 * holds the model to it. Single-threaded. */
#ifndef ZC_TESTS_DSA_EMU_REFERENCE_H
#define ZC_TESTS_DSA_EMU_REFERENCE_H

#include <linux/idxd.h>
#include <stdbool.h>
#include <stdint.h>

/* Operation-specific flags of CRCGEN and COPY_CRC (DSA spec; the names of
 * DML's specific_flags.hpp). */
#define REF_CRC_READ_SEED 0x10000u
#define REF_CRC_BYPASS_INVERSION 0x20000u
#define REF_CRC_BYPASS_DATA_REFLECTION 0x40000u

enum ref_fault_kind { REF_PROT_NONE, REF_UNMAPPED, REF_READ_ONLY };

/* A 4 KiB page the device cannot read (or, REF_READ_ONLY, write). */
struct ref_fault {
    uint64_t page;
    enum ref_fault_kind kind;
};

/* What the reference sees: the memory behind a device address (its own
 * copy, which it reads and writes) and the pages that fault. */
struct ref_env {
    uint8_t *(*mem)(uint64_t addr);
    const struct ref_fault *faults;
    unsigned nfaults;
};

/* One descriptor submitted on its own: the completion record as software
 * finds it at completion_addr (all zero when none is written). Returns the
 * status without the write bit. */
unsigned ref_run(const struct ref_env *e, const struct dsa_hw_desc *d,
                 struct dsa_completion_record *seen);

/* A BATCH descriptor whose list holds members[0 .. desc_count): member i's
 * record goes to member_seen[i], the batch's own to *seen. */
void ref_batch(const struct ref_env *e, const struct dsa_hw_desc *d,
               const struct dsa_hw_desc *members, struct dsa_completion_record *member_seen,
               struct dsa_completion_record *seen);

/* The flags an opcode accepts. */
uint32_t ref_allowed_flags(unsigned op);

/* The CRC a CRCGEN of p[0 .. len) reports under these descriptor flags. */
uint32_t ref_crc(uint32_t flags, uint32_t seed, const uint8_t *p, uint64_t len);

#endif
