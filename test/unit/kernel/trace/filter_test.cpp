// Unit tests for trace= parsing: per-task rules and call lists.
#include "kernel/trace/filter.h"

#include <CppUTest/TestHarness.h>

namespace {

u64 bit(abi::Syscall nr) { return u64(1) << nr; }

}  // namespace

TEST_GROUP(TraceFilter) {
    trace::Filter filter;
    char error[96];

    u64 parse_mask(const char* spec, const char* task) {
        CHECK_TEXT(trace::parse_filter(spec, filter, error, sizeof error), error);
        return trace::filter_mask(filter, task);
    }

    void rejects(const char* spec, const char* why) {
        CHECK_FALSE_TEXT(trace::parse_filter(spec, filter, error, sizeof error), spec);
        STRCMP_CONTAINS(why, error);
        LONGS_EQUAL(0, filter.count);
    }
};

TEST(TraceFilter, AllTracesEveryCallOfEveryTask) {
    UNSIGNED_LONGLONGS_EQUAL(trace::kAllCalls, parse_mask("all", "init"));
    UNSIGNED_LONGLONGS_EQUAL(trace::kAllCalls, trace::filter_mask(filter, "stress"));
    UNSIGNED_LONGLONGS_EQUAL(trace::kAllCalls, parse_mask("*", "hello"));
}

TEST(TraceFilter, ATaskWithoutCallsGetsEveryCall) {
    UNSIGNED_LONGLONGS_EQUAL(trace::kAllCalls, parse_mask("init,stress:probe+yield", "init"));
    UNSIGNED_LONGLONGS_EQUAL(bit(abi::kSysProbe) | bit(abi::kSysYield), trace::filter_mask(filter, "stress"));
    UNSIGNED_LONGLONGS_EQUAL(0, trace::filter_mask(filter, "hello"));
}

TEST(TraceFilter, NamesMatchWholeTaskNames) {
    UNSIGNED_LONGLONGS_EQUAL(0, parse_mask("stress", "stres"));
    UNSIGNED_LONGLONGS_EQUAL(0, trace::filter_mask(filter, "stress2"));
}

TEST(TraceFilter, MinusRemovesCallsLeftToRight) {
    u64 mask = parse_mask("*:all-debug_write-yield", "any");
    UNSIGNED_LONGLONGS_EQUAL(trace::kAllCalls & ~bit(abi::kSysDebugWrite) & ~bit(abi::kSysYield), mask);
    UNSIGNED_LONGLONGS_EQUAL(bit(abi::kSysProbe), parse_mask("x:probe-probe+probe", "x"));
}

TEST(TraceFilter, RulesForOneTaskAddUp) {
    u64 mask = parse_mask("t:probe,*:yield,t:vm_map", "t");
    UNSIGNED_LONGLONGS_EQUAL(bit(abi::kSysProbe) | bit(abi::kSysYield) | bit(abi::kSysVmMap), mask);
    UNSIGNED_LONGLONGS_EQUAL(bit(abi::kSysYield), trace::filter_mask(filter, "other"));
}

TEST(TraceFilter, MalformedSpecsAreRejectedWhole) {
    rejects("init,stress:prob", "unknown call 'prob'");
    rejects("stress:", "empty call name");
    rejects("stress:probe+", "empty call name");
    rejects("stress:-probe", "empty call name");
    rejects(",init", "no task name");
    rejects("init,", "no task name");
    rejects(":probe", "no task name");
    rejects("a,b,c,d,e,f,g,h,i", "too many rules");
    rejects("a_task_name_that_is_longer_than_31", "task name too long");
}

TEST(TraceFilter, CallNames) {
    LONGS_EQUAL(abi::kSysDebugWrite, trace::syscall_by_name("debug_write", 11));
    LONGS_EQUAL(abi::kSysTrace, trace::syscall_by_name("trace+", 5));
    LONGS_EQUAL(-1, trace::syscall_by_name("debug", 5));
}
