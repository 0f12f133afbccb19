/* The projection's timing profiles: one table of fitted parameters.
 * scripts/calibrate.sh fits them to the published measurements in
 * configs/dsa-calibration.csv and prints published, projected and error
 * per row; docs/PERFORMANCE.md holds that table and what each parameter
 * stands for. */
#include "dsa/emu/internal.h"

static const struct zc_emu_profile spr = {
    .enqcmd_ns = 150,
    .movdir_ns = 20,
    .desc_ns = 26,
    .buffer_ns = 11,
    .batch_ns = 60,
    .engine_gbps = 31.5,
    .device_gbps = 31.5,
    .lat_ns = 400,
    .read_lat_ns = 250,
    .write_lat_ns = 90,
    .ramp_ns = 300,
    .ramp_bytes = 4096,
    .fault_ns = 1000,
    .partial_gbps = 5.2,
    .partial_bytes = 8192,
    .partial_lat_ns = 150,
};

const struct zc_emu_profile *zc_emu_profile_of(int timing)
{
    return timing == ZC_EMU_TIMING_SPR ? &spr : NULL;
}
