// Google Benchmark 1.7 behind the C API of gbench.h: the project's only C++.
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

benchmark::State &state(zc_gb_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &state(const zc_gb_state *st)
{
    return *reinterpret_cast<const benchmark::State *>(st);
}
benchmark::internal::Benchmark *bench(zc_gb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

// Google Benchmark takes a statistic as a plain function pointer with no
// context, so each distinct C function gets a slot and a trampoline
// instantiated for that slot.
using c_statistic = double (*)(const double *, size_t);
constexpr size_t max_statistics = 16;
c_statistic statistic_slots[max_statistics];

template <size_t I> double statistic_trampoline(const std::vector<double> &v)
{
    return statistic_slots[I](v.data(), v.size());
}
template <size_t... I>
constexpr std::array<benchmark::StatisticsFunc *, sizeof...(I)>
make_trampolines(std::index_sequence<I...>)
{
    return {&statistic_trampoline<I>...};
}
constexpr auto trampolines = make_trampolines(std::make_index_sequence<max_statistics>{});

benchmark::StatisticsFunc *trampoline_for(c_statistic fn)
{
    for (size_t i = 0; i < max_statistics; i++) {
        if (!statistic_slots[i])
            statistic_slots[i] = fn;
        if (statistic_slots[i] == fn)
            return trampolines[i];
    }
    return nullptr;
}

double ns_per_unit(benchmark::TimeUnit u)
{
    switch (u) {
    case benchmark::kNanosecond:
        return 1;
    case benchmark::kMicrosecond:
        return 1e3;
    case benchmark::kMillisecond:
        return 1e6;
    case benchmark::kSecond:
        return 1e9;
    }
    return 1;
}

// The display reporter the library would pick, plus the native JSON file
// when asked, plus every run handed to the C callback.
class forwarding_reporter : public benchmark::BenchmarkReporter {
public:
    forwarding_reporter(zc_gb_report_fn fn, void *ctx, benchmark::BenchmarkReporter *display,
                        benchmark::BenchmarkReporter *json)
        : fn_(fn), ctx_(ctx), display_(display), json_(json)
    {
    }

    bool ReportContext(const Context &context) override
    {
        bool ok = display_ ? display_->ReportContext(context) : true;
        if (json_)
            ok = json_->ReportContext(context) && ok;
        return ok;
    }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        if (display_)
            display_->ReportRuns(runs);
        if (json_)
            json_->ReportRuns(runs);
        if (fn_)
            for (const Run &run : runs)
                forward(run);
    }

    void Finalize() override
    {
        if (display_)
            display_->Finalize();
        if (json_)
            json_->Finalize();
    }

private:
    void forward(const Run &run)
    {
        const std::string name = run.benchmark_name();
        const std::string run_name = run.run_name.str();
        std::vector<const char *> counter_names;
        std::vector<double> counter_values;
        // The runner finalizes counters (rates divided by time, averages by
        // iterations) before any reporter sees them.
        for (const auto &kv : run.counters) {
            counter_names.push_back(kv.first.c_str());
            counter_values.push_back(kv.second.value);
        }
        struct zc_gb_result r = {};
        r.name = name.c_str();
        r.run_name = run_name.c_str();
        r.aggregate = run.aggregate_name.c_str();
        r.repetition_index = run.run_type == Run::RT_Aggregate ? -1 : run.repetition_index;
        r.repetitions = run.repetitions;
        r.iterations = run.iterations;
        if (run.aggregate_unit == benchmark::kTime) {
            const double scale = ns_per_unit(run.time_unit);
            r.real_time_ns = run.GetAdjustedRealTime() * scale;
            r.cpu_time_ns = run.GetAdjustedCPUTime() * scale;
        } else {
            // A dimensionless aggregate (cv): the library stores the ratio itself.
            r.real_time_ns = run.real_accumulated_time;
            r.cpu_time_ns = run.cpu_accumulated_time;
        }
        r.error = run.error_occurred;
        r.error_message = run.error_message.c_str();
        r.n_counters = counter_names.size();
        r.counter_names = counter_names.data();
        r.counter_values = counter_values.data();
        fn_(&r, ctx_);
    }

    zc_gb_report_fn fn_;
    void *ctx_;
    benchmark::BenchmarkReporter *display_;
    benchmark::BenchmarkReporter *json_;
};

// Google Benchmark 1.7 answers a bad --benchmark_format by printing its help
// and exiting 0; refuse it here instead.
bool format_flag_ok(const char *arg)
{
    for (const char *flag : {"--benchmark_format=", "--benchmark_out_format="}) {
        size_t n = std::strlen(flag);
        if (std::strncmp(arg, flag, n) != 0)
            continue;
        const char *v = arg + n;
        if (std::strcmp(v, "console") && std::strcmp(v, "json") && std::strcmp(v, "csv")) {
            std::fprintf(stderr, "'%s': unknown format (allowed: console, json, csv)\n", arg);
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" {

zc_gb_bench *zc_gb_register(const char *name, zc_gb_fn fn, void *ctx)
{
    if (!name || !fn)
        return nullptr;
    auto *b = benchmark::RegisterBenchmark(name, [fn, ctx](benchmark::State &st) {
        fn(reinterpret_cast<zc_gb_state *>(&st), ctx);
    });
    return reinterpret_cast<zc_gb_bench *>(b);
}

zc_gb_bench *zc_gb_args(zc_gb_bench *b, const int64_t *args, size_t n)
{
    bench(b)->Args(std::vector<int64_t>(args, args + n));
    return b;
}

zc_gb_bench *zc_gb_arg_names(zc_gb_bench *b, const char *const *names, size_t n)
{
    bench(b)->ArgNames(std::vector<std::string>(names, names + n));
    return b;
}

// Google Benchmark aborts on out-of-range builder values; warn and keep the
// default instead.
zc_gb_bench *zc_gb_repetitions(zc_gb_bench *b, int n)
{
    if (n > 0)
        bench(b)->Repetitions(n);
    else
        std::fprintf(stderr, "zc_gb_repetitions: %d ignored (must be > 0)\n", n);
    return b;
}

zc_gb_bench *zc_gb_min_time(zc_gb_bench *b, double seconds)
{
    if (seconds > 0)
        bench(b)->MinTime(seconds);
    else
        std::fprintf(stderr, "zc_gb_min_time: %g ignored (must be > 0)\n", seconds);
    return b;
}

zc_gb_bench *zc_gb_iterations(zc_gb_bench *b, int64_t n)
{
    if (n > 0)
        bench(b)->Iterations(n);
    else
        std::fprintf(stderr, "zc_gb_iterations: %lld ignored (must be > 0)\n", (long long)n);
    return b;
}

zc_gb_bench *zc_gb_use_manual_time(zc_gb_bench *b)
{
    bench(b)->UseManualTime();
    return b;
}

zc_gb_bench *zc_gb_report_aggregates_only(zc_gb_bench *b, bool only)
{
    bench(b)->ReportAggregatesOnly(only);
    return b;
}

zc_gb_bench *zc_gb_statistic(zc_gb_bench *b, const char *name,
                             double (*fn)(const double *values, size_t n))
{
    benchmark::StatisticsFunc *t = trampoline_for(fn);
    if (t)
        bench(b)->ComputeStatistics(name, t);
    else
        std::fprintf(stderr, "zc_gb_statistic: '%s' ignored (at most %zu distinct functions)\n",
                     name, max_statistics);
    return b;
}

zc_gb_bench *zc_gb_unit(zc_gb_bench *b, enum zc_gb_unit u)
{
    static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                                benchmark::kMillisecond, benchmark::kSecond};
    bench(b)->Unit(units[u]);
    return b;
}

bool zc_gb_keep_running(zc_gb_state *st) { return state(st).KeepRunning(); }
bool zc_gb_keep_running_batch(zc_gb_state *st, int64_t n) { return state(st).KeepRunningBatch(n); }
int64_t zc_gb_range(const zc_gb_state *st, size_t i) { return state(st).range(i); }
int64_t zc_gb_iterations_done(const zc_gb_state *st) { return state(st).iterations(); }
void zc_gb_pause(zc_gb_state *st) { state(st).PauseTiming(); }
void zc_gb_resume(zc_gb_state *st) { state(st).ResumeTiming(); }
void zc_gb_set_bytes_processed(zc_gb_state *st, int64_t bytes) { state(st).SetBytesProcessed(bytes); }
void zc_gb_set_items_processed(zc_gb_state *st, int64_t items) { state(st).SetItemsProcessed(items); }
void zc_gb_set_iteration_time(zc_gb_state *st, double s) { state(st).SetIterationTime(s); }
void zc_gb_skip_with_error(zc_gb_state *st, const char *msg) { state(st).SkipWithError(msg); }
void zc_gb_set_label(zc_gb_state *st, const char *label) { state(st).SetLabel(label); }

void zc_gb_counter(zc_gb_state *st, const char *name, double value, unsigned flags)
{
    int f = benchmark::Counter::kDefaults;
    if (flags & ZC_GB_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & ZC_GB_COUNTER_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    state(st).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

bool zc_gb_initialize(int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++)
        if (!format_flag_ok(argv[i]))
            return false;
    benchmark::Initialize(argc, argv);
    // A --benchmark_ flag still here was unknown or had a malformed value.
    bool ok = true;
    for (int i = 1; i < *argc; i++) {
        if (std::strncmp(argv[i], "--benchmark_", 12) == 0) {
            std::fprintf(stderr, "'%s': unknown Google Benchmark flag or bad value\n", argv[i]);
            ok = false;
        }
    }
    return ok;
}

long zc_gb_run(const char *filter, zc_gb_report_fn report, void *ctx, bool quiet,
               const char *json_path)
{
    std::ofstream json_out;
    std::unique_ptr<benchmark::JSONReporter> json;
    if (json_path) {
        json_out.open(json_path);
        if (!json_out)
            return -1;
        json.reset(new benchmark::JSONReporter);
        json->SetOutputStream(&json_out);
        json->SetErrorStream(&std::cerr);
    }
    benchmark::BenchmarkReporter *display =
        quiet ? nullptr : benchmark::CreateDefaultDisplayReporter();
    forwarding_reporter forwarder(report, ctx, display, json.get());
    size_t n = filter ? benchmark::RunSpecifiedBenchmarks(&forwarder, std::string(filter))
                      : benchmark::RunSpecifiedBenchmarks(&forwarder);
    if (json_path) {
        json_out.close();
        if (!json_out)
            return -1;
    }
    return static_cast<long>(n);
}

void zc_gb_clear(void)
{
    benchmark::ClearRegisteredBenchmarks();
    for (c_statistic &slot : statistic_slots)
        slot = nullptr;
}

} // extern "C"
