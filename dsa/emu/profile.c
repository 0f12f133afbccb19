/* The projection's timing profiles: one table of fitted parameters.
 * scripts/calibrate.py fits them to the published measurements in
 * configs/dsa-calibration.csv and prints published, projected and error
 * per row; docs/PERFORMANCE.md holds that table and what each parameter
 * stands for. */
#include "dsa/emu/internal.h"

static const struct zc_emu_profile spr = {
    .enqcmd_ns = 158,
    .movdir_ns = 20,
    .desc_ns = 26.5,
    .buffer_ns = 10.1,
    .batch_ns = 56,
    .engine_gbps = 37.7,
    .device_gbps = 31.2,
    .lat_ns = 364,
    .read_lat_ns = 281,
    .write_lat_ns = 85,
    .ramp_ns = 274,
    .ramp_bytes = 4000,
    .fault_ns = 1000,
    .partial_ns = 360,
    .partial_lat_ns = 390,
};

const struct zc_emu_profile *zc_emu_profile_of(int timing)
{
    return timing == ZC_EMU_TIMING_SPR ? &spr : NULL;
}
