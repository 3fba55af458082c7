// Unit tests for the boot manifest parser: a full manifest field by field,
// every error with its line and message, line ends and comments, and
// truncated or corrupted manifests.
#include "lib/manifest.h"

#include <CppUTest/TestHarness.h>
#include <stdio.h>
#include <string.h>

#include "lib/abi/ipc.h"

using manifest::GrantKind;

namespace {

// ~27 KiB: kept out of the test functions' frames.
manifest::Manifest g_manifest;

constexpr u32 kS = abi::kRightSend, kR = abi::kRightReceive, kG = abi::kRightGrant;

const char kRealistic[] =
    "# lstar boot manifest: the base system\n"
    "\n"
    "server console prio=20 cpus=0x1 privileged\n"
    "    endpoint tty at=1\n"
    "    ioports 0x3f8 8 at=2\n"
    "    irq 4 at=3\n"
    "\n"
    "server timer prio=24 restart=no   # never restarted\n"
    "\tendpoint tick at=1\n"
    "\tirq 0 at=2\n"
    "\tgive console.tty rights=s at=3 badge=2\n"
    "\n"
    "server shell args=\"shell --prompt '# ' -v\"\n"
    "  give console.tty rights=s at=1 badge=0x10\n"
    "  give timer.tick rights=sg at=2\n"
    "  give hello.greet rights=rs at=3    # declared further down\n"
    "\n"
    "server hello cpus=3 restart=yes\n"
    "  endpoint greet at=5\n"
    "  give console.tty rights=s at=255 badge=4\n";

constexpr u32 kRealisticLines = 20;

manifest::Result parse_text(const char* text) { return manifest::parse(text, strlen(text), g_manifest); }

// Parses text, expecting an error on `line` whose message starts with
// "line N: " and contains phrase.
void expect_error(const char* text, usize len, u32 line, const char* phrase) {
    manifest::Result r = manifest::parse(text, len, g_manifest);
    CHECK_FALSE_TEXT(r.ok, text);
    UNSIGNED_LONGS_EQUAL_TEXT(line, r.line, r.message);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "line %u: ", line);
    CHECK_TEXT(strncmp(r.message, prefix, strlen(prefix)) == 0, r.message);
    STRCMP_CONTAINS(phrase, r.message);
}

void expect_error(const char* text, u32 line, const char* phrase) {
    expect_error(text, strlen(text), line, phrase);
}

void check_grant(const manifest::Grant& g, GrantKind kind, u32 slot, u32 line, u32 rights, u64 badge,
                 u64 base, u64 count, const char* server, const char* endpoint) {
    CHECK(g.kind == kind);
    UNSIGNED_LONGS_EQUAL(slot, g.slot);
    UNSIGNED_LONGS_EQUAL(line, g.line);
    UNSIGNED_LONGS_EQUAL(rights, g.rights);
    UNSIGNED_LONGLONGS_EQUAL(badge, g.badge);
    UNSIGNED_LONGLONGS_EQUAL(base, g.base);
    UNSIGNED_LONGLONGS_EQUAL(count, g.count);
    STRCMP_EQUAL(server, g.server);
    STRCMP_EQUAL(endpoint, g.endpoint);
}

void check_realistic(const manifest::Manifest& m) {
    UNSIGNED_LONGS_EQUAL(4, m.count);

    const manifest::Server& console = m.servers[0];
    STRCMP_EQUAL("console", console.name);
    UNSIGNED_LONGS_EQUAL(3, console.line);
    UNSIGNED_LONGS_EQUAL(20, console.priority);
    UNSIGNED_LONGLONGS_EQUAL(1, console.cpus);
    CHECK_TRUE(console.restart);
    CHECK_TRUE(console.privileged);
    STRCMP_EQUAL("", console.args);
    UNSIGNED_LONGS_EQUAL(3, console.grant_count);
    check_grant(console.grants[0], GrantKind::kOwnEndpoint, 1, 4, kS | kR | kG, 0, 0, 0, "console", "tty");
    check_grant(console.grants[1], GrantKind::kIoPorts, 2, 5, abi::kRightControl, 0, 0x3f8, 8, "", "");
    check_grant(console.grants[2], GrantKind::kIrq, 3, 6, abi::kRightControl, 0, 4, 1, "", "");
    UNSIGNED_LONGS_EQUAL(0, console.grants[0].target_server);
    UNSIGNED_LONGS_EQUAL(0, console.grants[0].target_grant);

    const manifest::Server& timer = m.servers[1];
    STRCMP_EQUAL("timer", timer.name);
    UNSIGNED_LONGS_EQUAL(8, timer.line);
    UNSIGNED_LONGS_EQUAL(24, timer.priority);
    UNSIGNED_LONGLONGS_EQUAL(manifest::kAllCpus, timer.cpus);
    CHECK_FALSE(timer.restart);
    CHECK_FALSE(timer.privileged);
    STRCMP_EQUAL("", timer.args);
    UNSIGNED_LONGS_EQUAL(3, timer.grant_count);
    check_grant(timer.grants[0], GrantKind::kOwnEndpoint, 1, 9, kS | kR | kG, 0, 0, 0, "timer", "tick");
    check_grant(timer.grants[1], GrantKind::kIrq, 2, 10, abi::kRightControl, 0, 0, 1, "", "");
    check_grant(timer.grants[2], GrantKind::kEndpoint, 3, 11, kS, 2, 0, 0, "console", "tty");
    UNSIGNED_LONGS_EQUAL(1, timer.grants[0].target_server);
    UNSIGNED_LONGS_EQUAL(0, timer.grants[0].target_grant);
    UNSIGNED_LONGS_EQUAL(0, timer.grants[2].target_server);
    UNSIGNED_LONGS_EQUAL(0, timer.grants[2].target_grant);

    const manifest::Server& shell = m.servers[2];
    STRCMP_EQUAL("shell", shell.name);
    UNSIGNED_LONGS_EQUAL(13, shell.line);
    UNSIGNED_LONGS_EQUAL(manifest::kDefaultPriority, shell.priority);
    UNSIGNED_LONGS_EQUAL(16, shell.priority);
    UNSIGNED_LONGLONGS_EQUAL(~0ull, shell.cpus);
    CHECK_TRUE(shell.restart);
    CHECK_FALSE(shell.privileged);
    STRCMP_EQUAL("shell --prompt '# ' -v", shell.args);
    UNSIGNED_LONGS_EQUAL(3, shell.grant_count);
    check_grant(shell.grants[0], GrantKind::kEndpoint, 1, 14, kS, 0x10, 0, 0, "console", "tty");
    check_grant(shell.grants[1], GrantKind::kEndpoint, 2, 15, kS | kG, 0, 0, 0, "timer", "tick");
    check_grant(shell.grants[2], GrantKind::kEndpoint, 3, 16, kS | kR, 0, 0, 0, "hello", "greet");
    UNSIGNED_LONGS_EQUAL(0, shell.grants[0].target_server);
    UNSIGNED_LONGS_EQUAL(0, shell.grants[0].target_grant);
    UNSIGNED_LONGS_EQUAL(1, shell.grants[1].target_server);
    UNSIGNED_LONGS_EQUAL(0, shell.grants[1].target_grant);
    UNSIGNED_LONGS_EQUAL(3, shell.grants[2].target_server);
    UNSIGNED_LONGS_EQUAL(0, shell.grants[2].target_grant);

    const manifest::Server& hello = m.servers[3];
    STRCMP_EQUAL("hello", hello.name);
    UNSIGNED_LONGS_EQUAL(18, hello.line);
    UNSIGNED_LONGS_EQUAL(16, hello.priority);
    UNSIGNED_LONGLONGS_EQUAL(3, hello.cpus);
    CHECK_TRUE(hello.restart);
    CHECK_FALSE(hello.privileged);
    STRCMP_EQUAL("", hello.args);
    UNSIGNED_LONGS_EQUAL(2, hello.grant_count);
    check_grant(hello.grants[0], GrantKind::kOwnEndpoint, 5, 19, kS | kR | kG, 0, 0, 0, "hello", "greet");
    check_grant(hello.grants[1], GrantKind::kEndpoint, 255, 20, kS, 4, 0, 0, "console", "tty");
    UNSIGNED_LONGS_EQUAL(3, hello.grants[0].target_server);
    UNSIGNED_LONGS_EQUAL(0, hello.grants[0].target_grant);
    UNSIGNED_LONGS_EQUAL(0, hello.grants[1].target_server);
    UNSIGNED_LONGS_EQUAL(0, hello.grants[1].target_grant);
}

}  // namespace

TEST_GROUP(ManifestParse){};

TEST(ManifestParse, RealisticManifestExactly) {
    manifest::Result r = parse_text(kRealistic);
    CHECK_TEXT(r.ok, r.message);
    STRCMP_EQUAL("ok", r.message);
    UNSIGNED_LONGS_EQUAL(kRealisticLines, r.line);
    check_realistic(g_manifest);
}

TEST(ManifestParse, CrlfLineEndsParseTheSame) {
    static char crlf[sizeof(kRealistic) * 2];
    usize n = 0;
    for (const char* p = kRealistic; *p != '\0'; ++p) {
        if (*p == '\n') crlf[n++] = '\r';
        crlf[n++] = *p;
    }
    crlf[n] = '\0';
    manifest::Result r = manifest::parse(crlf, n, g_manifest);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(kRealisticLines, r.line);
    check_realistic(g_manifest);
}

TEST(ManifestParse, LastLineNeedsNoLineEnd) {
    usize n = strlen(kRealistic) - 1;  // without the final '\n'
    manifest::Result r = manifest::parse(kRealistic, n, g_manifest);
    CHECK_TEXT(r.ok, r.message);
    check_realistic(g_manifest);
    r = parse_text("server a\r\n  irq 1 at=1\r");
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(1, g_manifest.servers[0].grant_count);
}

TEST(ManifestParse, OnlyLenBytesAreRead) {
    // The text goes on past len: what follows must not count.
    const char text[] = "server a\nserver b\nbogus line";
    manifest::Result r = manifest::parse(text, strlen("server a\nserver b\n"), g_manifest);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(2, g_manifest.count);
    r = manifest::parse(text, strlen("server a\nser"), g_manifest);
    CHECK_FALSE(r.ok);
    STRCMP_EQUAL("line 2: unknown statement 'ser'", r.message);
}

TEST(ManifestParse, EmptyManifestsAreValid) {
    manifest::Result r = manifest::parse("", 0, g_manifest);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(0, g_manifest.count);
    UNSIGNED_LONGS_EQUAL(0, r.line);

    r = manifest::parse(nullptr, 0, g_manifest);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(0, g_manifest.count);

    r = parse_text("\n\n   \n\t\n# nothing here\n   # indented comment\r\n\r\n");
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(0, g_manifest.count);
    UNSIGNED_LONGS_EQUAL(7, r.line);
}

TEST(ManifestParse, CommentsAndBlankLinesAnywhere) {
    manifest::Result r = parse_text(
        "#server ghost\n"
        "server a#comment right after the name\n"
        "\n"
        "   # endpoint ghost at=9\n"
        "\t\tendpoint e at=1# comment\n"
        "  \t \n"
        "irq 1 at=2 #\n");
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(1, g_manifest.count);
    STRCMP_EQUAL("a", g_manifest.servers[0].name);
    UNSIGNED_LONGS_EQUAL(2, g_manifest.servers[0].grant_count);
    STRCMP_EQUAL("e", g_manifest.servers[0].grants[0].endpoint);
    UNSIGNED_LONGS_EQUAL(5, g_manifest.servers[0].grants[0].line);
    UNSIGNED_LONGLONGS_EQUAL(1, g_manifest.servers[0].grants[1].base);
}

TEST(ManifestParse, Defaults) {
    manifest::Result r = parse_text("server solo\n");
    CHECK_TEXT(r.ok, r.message);
    const manifest::Server& s = g_manifest.servers[0];
    STRCMP_EQUAL("solo", s.name);
    UNSIGNED_LONGS_EQUAL(16, s.priority);
    UNSIGNED_LONGLONGS_EQUAL(~0ull, s.cpus);
    CHECK_TRUE(s.restart);
    CHECK_FALSE(s.privileged);
    STRCMP_EQUAL("", s.args);
    UNSIGNED_LONGS_EQUAL(0, s.grant_count);
}

TEST(ManifestParse, LimitsAreAccepted) {
    static char text[1024];
    // 23-character name, 95-character args, slots 1 and 255, prio 0 and 31,
    // the last I/O port, irq 255, a 64-bit mask and badge.
    snprintf(text, sizeof(text),
             "server abcdefghijklmnopqrstuvw prio=0 cpus=0xffffffffffffffff args=\"%095d\"\n"
             "  endpoint a0_-z at=1\n"
             "  ioports 0xffff 1 at=255\n"
             "  give abcdefghijklmnopqrstuvw.a0_-z rights=gsr at=2 badge=18446744073709551615\n"
             "server b prio=31 cpus=0X8000000000000000\n"
             "  ioports 0 0x10000 at=1\n"
             "  irq 255 at=2\n",
             0);
    manifest::Result r = parse_text(text);
    CHECK_TEXT(r.ok, r.message);
    const manifest::Server& a = g_manifest.servers[0];
    STRCMP_EQUAL("abcdefghijklmnopqrstuvw", a.name);
    UNSIGNED_LONGS_EQUAL(0, a.priority);
    UNSIGNED_LONGLONGS_EQUAL(~0ull, a.cpus);
    UNSIGNED_LONGS_EQUAL(95, strlen(a.args));
    check_grant(a.grants[1], GrantKind::kIoPorts, 255, 3, abi::kRightControl, 0, 0xffff, 1, "", "");
    check_grant(a.grants[2], GrantKind::kEndpoint, 2, 4, kS | kR | kG, ~0ull, 0, 0, "abcdefghijklmnopqrstuvw",
                "a0_-z");
    UNSIGNED_LONGS_EQUAL(0, a.grants[2].target_server);
    UNSIGNED_LONGS_EQUAL(0, a.grants[2].target_grant);
    const manifest::Server& b = g_manifest.servers[1];
    UNSIGNED_LONGS_EQUAL(31, b.priority);
    UNSIGNED_LONGLONGS_EQUAL(0x8000000000000000ull, b.cpus);
    check_grant(b.grants[0], GrantKind::kIoPorts, 1, 6, abi::kRightControl, 0, 0, 0x10000, "", "");
    check_grant(b.grants[1], GrantKind::kIrq, 2, 7, abi::kRightControl, 0, 255, 1, "", "");
}

TEST(ManifestParse, SixteenServersOfSixteenGrants) {
    static char text[16 * 17 * 24];
    text[0] = '\0';
    for (u32 s = 0; s < manifest::kMaxServers; ++s) {
        char line[32];
        snprintf(line, sizeof(line), "server s%u\n", s);
        strcat(text, line);
        for (u32 g = 0; g < manifest::kMaxGrants; ++g) {
            snprintf(line, sizeof(line), "irq %u at=%u\n", g, 16 - g);
            strcat(text, line);
        }
    }
    manifest::Result r = parse_text(text);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(16, g_manifest.count);
    UNSIGNED_LONGS_EQUAL(16 * 17, r.line);
    for (u32 s = 0; s < manifest::kMaxServers; ++s) {
        UNSIGNED_LONGS_EQUAL(16, g_manifest.servers[s].grant_count);
        UNSIGNED_LONGS_EQUAL(1, g_manifest.servers[s].grants[15].slot);
    }
}

TEST(ManifestParse, SameSlotInDifferentServersAndOwnEndpointGiven) {
    manifest::Result r = parse_text(
        "server a\n"
        "  endpoint e at=1\n"
        "  endpoint f at=2\n"
        "  give a.f rights=s at=3 badge=9\n"
        "server b\n"
        "  endpoint e at=1\n"
        "  give a.e rights=r at=2\n");
    CHECK_TEXT(r.ok, r.message);
    const manifest::Grant& own = g_manifest.servers[0].grants[2];
    check_grant(own, GrantKind::kEndpoint, 3, 4, kS, 9, 0, 0, "a", "f");
    UNSIGNED_LONGS_EQUAL(0, own.target_server);
    UNSIGNED_LONGS_EQUAL(1, own.target_grant);
    const manifest::Grant& other = g_manifest.servers[1].grants[1];
    UNSIGNED_LONGS_EQUAL(kR, other.rights);
    UNSIGNED_LONGS_EQUAL(0, other.target_server);
    UNSIGNED_LONGS_EQUAL(0, other.target_grant);
    UNSIGNED_LONGS_EQUAL(1, g_manifest.servers[1].grants[0].target_server);
}

TEST(ManifestParse, ArgsKeepSpacesTabsAndHashes) {
    manifest::Result r = parse_text("server a args=\"x  #y\tz=1 \"   prio=3 # done\n");
    CHECK_TEXT(r.ok, r.message);
    STRCMP_EQUAL("x  #y\tz=1 ", g_manifest.servers[0].args);
    UNSIGNED_LONGS_EQUAL(3, g_manifest.servers[0].priority);
    r = parse_text("server a args=\"\"\n");
    CHECK_TEXT(r.ok, r.message);
    STRCMP_EQUAL("", g_manifest.servers[0].args);
}

TEST(ManifestParse, LongestLine) {
    static char text[600];
    // 255 characters with "\n", then with "\r\n": accepted.
    memset(text, 0, sizeof(text));
    strcpy(text, "server a #");
    memset(text + strlen(text), 'x', 255 - strlen(text));
    UNSIGNED_LONGS_EQUAL(255, strlen(text));
    strcat(text, "\n");
    manifest::Result r = parse_text(text);
    CHECK_TEXT(r.ok, r.message);
    text[255] = '\r';
    text[256] = '\n';
    r = parse_text(text);
    CHECK_TEXT(r.ok, r.message);
}

TEST_GROUP(ManifestHelpers){};

TEST(ManifestHelpers, FindServerEndpointSlot) {
    manifest::Result r = parse_text(kRealistic);
    CHECK_TEXT(r.ok, r.message);
    const manifest::Server* shell = manifest::find_server(g_manifest, "shell");
    POINTERS_EQUAL(&g_manifest.servers[2], shell);
    POINTERS_EQUAL(nullptr, manifest::find_server(g_manifest, "she"));
    POINTERS_EQUAL(nullptr, manifest::find_server(g_manifest, "shells"));
    LONGS_EQUAL(3, manifest::server_index(g_manifest, "hello"));
    LONGS_EQUAL(-1, manifest::server_index(g_manifest, "nobody"));

    const manifest::Server& timer = g_manifest.servers[1];
    POINTERS_EQUAL(&timer.grants[0], manifest::find_endpoint(timer, "tick"));
    POINTERS_EQUAL(nullptr, manifest::find_endpoint(timer, "tty"));  // a give, not its own
    POINTERS_EQUAL(&timer.grants[2], manifest::find_slot(timer, 3));
    POINTERS_EQUAL(nullptr, manifest::find_slot(timer, 4));
    POINTERS_EQUAL(nullptr, manifest::find_slot(timer, 0));

    STRCMP_EQUAL("endpoint", manifest::kind_name(GrantKind::kOwnEndpoint));
    STRCMP_EQUAL("give", manifest::kind_name(GrantKind::kEndpoint));
    STRCMP_EQUAL("ioports", manifest::kind_name(GrantKind::kIoPorts));
    STRCMP_EQUAL("irq", manifest::kind_name(GrantKind::kIrq));
}

TEST_GROUP(ManifestErrors){};

TEST(ManifestErrors, ExactMessages) {
    manifest::Result r = parse_text("server console\n  endpoint tty at=3\n\n  irq 4 at=3\n");
    CHECK_FALSE(r.ok);
    UNSIGNED_LONGS_EQUAL(4, r.line);
    STRCMP_EQUAL("line 4: slot 3 already used by server console on line 2", r.message);

    r = parse_text("server shell\n  give conosle.tty rights=s at=1\nserver console\n  endpoint tty at=1\n");
    CHECK_FALSE(r.ok);
    STRCMP_EQUAL("line 2: give conosle.tty names unknown server 'conosle'", r.message);

    r = parse_text("server shell\n  give console.ttyx rights=s at=1\nserver console\n  endpoint tty at=1\n");
    CHECK_FALSE(r.ok);
    STRCMP_EQUAL("line 2: give console.ttyx: server console declares no endpoint 'ttyx'", r.message);
}

TEST(ManifestErrors, UnknownStatement) {
    expect_error("server a\nfoo bar\n", 2, "unknown statement 'foo'");
    expect_error("servers a\n", 1, "unknown statement 'servers'");
    expect_error("Server a\n", 1, "unknown statement 'Server'");
    expect_error("server a\n  at=1\n", 2, "unknown statement 'at=1'");
}

TEST(ManifestErrors, StatementBeforeAnyServer) {
    expect_error("# header\nendpoint e at=1\n", 2, "endpoint before any server line");
    expect_error("give a.b rights=s at=1\nserver a\n", 1, "give before any server line");
    expect_error("ioports 0x60 1 at=1\n", 1, "ioports before any server line");
    expect_error("\nirq 1 at=1\n", 2, "irq before any server line");
}

TEST(ManifestErrors, UnknownKey) {
    expect_error("server a color=red\n", 1, "unknown key 'color' in server");
    expect_error("server a fast\n", 1, "unexpected word 'fast' in server");
    expect_error("server a\nendpoint e at=1 mode=x\n", 2, "unknown key 'mode' in endpoint");
    expect_error("server a\nendpoint e f at=1\n", 2, "unexpected word 'f' in endpoint");
    expect_error("server a\nendpoint e slot=1\n", 2, "unknown key 'slot' in endpoint");
    expect_error("server a\nendpoint e at=1\nserver b\ngive a.e rights=s at=1 prio=3\n", 4,
                 "unknown key 'prio' in give");
    expect_error("server a\nioports 0x60 1 at=1 extra\n", 2, "unexpected word 'extra' in ioports");
    expect_error("server a\nirq 1 2 at=1\n", 2, "unexpected word '2' in irq");
    expect_error("server a\nirq 1 at=1 =\n", 2, "unknown key '' in irq");
}

TEST(ManifestErrors, MissingArguments) {
    expect_error("server\n", 1, "server needs a name");
    expect_error("server # no name\n", 1, "server needs a name");
    expect_error("server a\nendpoint\n", 2, "endpoint needs a name");
    expect_error("server a\ngive\n", 2, "give needs a target");
    expect_error("server a\nioports 0x60\n", 2, "ioports needs a range");
    expect_error("server a\nirq\n", 2, "irq needs a line");
    expect_error("server a prio\n", 1, "prio needs a value");
    expect_error("server a\nirq 1 at\n", 2, "at needs a value");
}

TEST(ManifestErrors, MissingAt) {
    expect_error("server a\n  endpoint e\n", 2, "missing at=N for endpoint 'e'");
    expect_error("server a\n  endpoint e at=1\n  give a.e rights=s\n", 3, "missing at=N for give a.e");
    expect_error("server a\n  ioports 0x60 4\n", 2, "missing at=N for ioports 0x60 4");
    expect_error("server a\n  irq 12 # at=1\n", 2, "missing at=N for irq 12");
}

TEST(ManifestErrors, DuplicateSlot) {
    expect_error("server console\n  endpoint tty at=3\n  irq 4 at=3\n", 3,
                 "slot 3 already used by server console on line 2");
    expect_error("server a\n irq 1 at=0x10\n ioports 1 1 at=16\n", 3,
                 "slot 16 already used by server a on line 2");
    expect_error("server a\nendpoint e at=1\nendpoint f at=2\ngive a.e rights=s at=2\n", 4,
                 "slot 2 already used by server a on line 3");
}

TEST(ManifestErrors, DuplicateNames) {
    expect_error("server a\nserver b\n\nserver a prio=3\n", 4,
                 "duplicate server name 'a', first declared on line 1");
    expect_error("server a\n endpoint e at=1\n endpoint e at=2\n", 3,
                 "endpoint 'e' already declared by server a on line 2");
    // The same endpoint name in two servers is fine.
    manifest::Result r = parse_text("server a\n endpoint e at=1\nserver b\n endpoint e at=1\n");
    CHECK_TEXT(r.ok, r.message);
}

TEST(ManifestErrors, DuplicateKeys) {
    expect_error("server a prio=1 prio=2\n", 1, "prio given twice");
    expect_error("server a cpus=1 cpus=1\n", 1, "cpus given twice");
    expect_error("server a restart=no restart=no\n", 1, "restart given twice");
    expect_error("server a privileged privileged\n", 1, "privileged given twice");
    expect_error("server a args=\"x\" args=\"y\"\n", 1, "args given twice");
    expect_error("server a\nendpoint e at=1 at=2\n", 2, "at given twice");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=s rights=r at=2\n", 3, "rights given twice");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=s badge=1 at=2 badge=1\n", 3,
                 "badge given twice");
    expect_error("server a\nirq 1 at=1 at=1\n", 2, "at given twice");
}

TEST(ManifestErrors, BadNumbers) {
    expect_error("server a prio=abc\n", 1, "bad number 'abc' for prio");
    expect_error("server a prio=\n", 1, "bad number '' for prio");
    expect_error("server a prio=-1\n", 1, "bad number '-1' for prio");
    expect_error("server a prio=+1\n", 1, "bad number '+1' for prio");
    expect_error("server a cpus=0x\n", 1, "bad number '0x' for cpus");
    expect_error("server a cpus=0xg\n", 1, "bad number '0xg' for cpus");
    expect_error("server a cpus=1f\n", 1, "bad number '1f' for cpus");
    expect_error("server a cpus=0x10000000000000000\n", 1,
                 "bad number '0x10000000000000000' for cpus: more than 64 bits");
    expect_error("server a cpus=18446744073709551616\n", 1, "more than 64 bits");
    expect_error("server a\nirq 1 at=12z\n", 2, "bad number '12z' for slot");
    expect_error("server a\nirq one at=1\n", 2, "bad number 'one' for irq line");
    expect_error("server a\nioports 0x3g8 8 at=1\n", 2, "bad number '0x3g8' for ioports base");
    expect_error("server a\nioports 0x3f8 eight at=1\n", 2, "bad number 'eight' for ioports count");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=s at=2 badge=x\n", 3,
                 "bad number 'x' for badge");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=s at=2 badge=0x1ffffffffffffffff\n", 3,
                 "more than 64 bits");
    expect_error("server a prio=\"3\"\n", 1, "bad number '\"3\"' for prio");
}

TEST(ManifestErrors, ValuesOutOfRange) {
    expect_error("server a prio=32\n", 1, "prio 32 out of range 0..31");
    expect_error("server a prio=0x100000000\n", 1, "prio 4294967296 out of range 0..31");
    expect_error("server a cpus=0\n", 1, "cpus 0 out of range 1..18446744073709551615");
    expect_error("server a restart=maybe\n", 1, "restart must be yes or no, not 'maybe'");
    expect_error("server a restart=\n", 1, "restart must be yes or no, not ''");
    expect_error("server a privileged=yes\n", 1, "privileged takes no value");
    expect_error("server a\nirq 1 at=0\n", 2, "slot 0 out of range 1..255");
    expect_error("server a\nirq 1 at=256\n", 2, "slot 256 out of range 1..255");
    expect_error("server a\nirq 256 at=1\n", 2, "irq line 256 out of range 0..255");
    expect_error("server a\nioports 0x10000 1 at=1\n", 2, "ioports base 65536 out of range 0..65535");
    expect_error("server a\nioports 0x60 0 at=1\n", 2, "ioports count 0 out of range 1..65536");
    expect_error("server a\nioports 0xffff 2 at=1\n", 2,
                 "ioports range 0xffff + 2 runs past the last port 0xffff");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=s at=2 badge=0\n", 3, "badge 0 out of range");
}

TEST(ManifestErrors, Rights) {
    expect_error("server a\nendpoint e at=1\ngive a.e at=2\n", 3, "missing rights= for give a.e");
    expect_error("server a\nendpoint e at=1\ngive a.e rights= at=2\n", 3, "rights is empty");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=sw at=2\n", 3, "unknown right 'w' in rights=sw");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=S at=2\n", 3, "unknown right 'S'");
    expect_error("server a\nendpoint e at=1\ngive a.e rights=srs at=2\n", 3,
                 "right 's' repeated in rights=srs");
}

TEST(ManifestErrors, Names) {
    expect_error("server abcdefghijklmnopqrstuvwx\n", 1,
                 "server name 'abcdefghijklmnopqrstuvwx' longer than 23 characters");
    expect_error("server Console\n", 1, "server name 'Console' must start with a letter a-z, not 'C'");
    expect_error("server 1st\n", 1, "must start with a letter a-z, not '1'");
    expect_error("server _x\n", 1, "must start with a letter a-z");
    expect_error("server con$ole\n", 1, "server name 'con$ole' has bad character '$'");
    expect_error("server a.b\n", 1, "has bad character '.'");
    expect_error("server \"quoted\"\n", 1, "must start with a letter a-z, not '\"'");
    expect_error("server a\nendpoint abcdefghijklmnopqrstuvwxyz at=1\n", 2,
                 "endpoint name 'abcdefghijklmnopqrstuvwxyz' longer than 23 characters");
    expect_error("server a\nendpoint TTY at=1\n", 2, "endpoint name 'TTY' must start");
    expect_error("server a\ngive console rights=s at=1\n", 2,
                 "give target 'console' must be SERVER.ENDPOINT");
    expect_error("server a\ngive .tty rights=s at=1\n", 2, "give server name is empty");
    expect_error("server a\ngive console. rights=s at=1\n", 2, "give endpoint name is empty");
    expect_error("server a\ngive a.b.c rights=s at=1\n", 2, "give endpoint name 'b.c' has bad character '.'");
    expect_error("server a\ngive abcdefghijklmnopqrstuvwxy.e rights=s at=1\n", 2,
                 "give server name 'abcdefghijklmnopqrstuvwxy' longer than 23 characters");
    // Long words are cut in messages.
    static char text[300];
    snprintf(text, sizeof(text), "server %s\n",
             "a0123456789012345678901234567890123456789012345678901234567890123456789");
    expect_error(text, 1, "server name 'a0123456789012345678901234567890...' longer than 23 characters");
    expect_error("server a\x01\n", 1, "has bad character 0x01");
}

TEST(ManifestErrors, TooManyServers) {
    static char text[512];
    text[0] = '\0';
    for (u32 i = 0; i < 17; ++i) {
        char line[32];
        snprintf(line, sizeof(line), "server s%u\n", i);
        strcat(text, line);
    }
    expect_error(text, 17, "more than 16 servers");
}

TEST(ManifestErrors, TooManyGrants) {
    static char text[1024];
    strcpy(text, "server busy\n");
    for (u32 i = 1; i <= 17; ++i) {
        char line[32];
        snprintf(line, sizeof(line), "irq %u at=%u\n", i, i);
        strcat(text, line);
    }
    expect_error(text, 18, "irq: server busy has more than 16 capabilities");
}

TEST(ManifestErrors, Quotes) {
    expect_error("server a args=\"unterminated\n", 1, "unterminated quote");
    expect_error("server a\n\nserver b args=\"x # y\nserver c\n", 3, "unterminated quote");
    expect_error("server a args=x\n", 1, "args must be one quoted string");
    expect_error("server a args=\n", 1, "args must be one quoted string");
    expect_error("server a args=\"x\"y\n", 1, "args must be one quoted string");
    expect_error("server a args=\"x\"\"y\"\n", 1, "args must be one quoted string");
    expect_error("server a args=x\"y\"\n", 1, "args must be one quoted string");
    expect_error("server a prio=3 \"\n", 1, "unterminated quote");
    static char text[256];
    snprintf(text, sizeof(text), "server a args=\"%096d\"\n", 0);
    expect_error(text, 1, "args longer than 95 characters");
}

TEST(ManifestErrors, NulByte) {
    const char text[] = "server a\nserver b\0 prio=3\nserver c\n";
    expect_error(text, sizeof(text) - 1, 2, "NUL byte at column 9");
    const char leading[] = "\0";
    expect_error(leading, 1, 1, "NUL byte at column 1");
    // Past len it is the end, not an error.
    manifest::Result r = manifest::parse(text, strlen(text), g_manifest);
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(2, g_manifest.count);
}

TEST(ManifestErrors, LineTooLong) {
    static char text[600];
    strcpy(text, "server a\n# ");
    memset(text + strlen(text), 'x', 256 - 2);
    strcpy(text + 9 + 256, "\nserver b\n");
    expect_error(text, 2, "longer than 255 characters (256)");
    // "\r\n" does not count, a lone '\r' at the end of the text neither.
    strcpy(text, "server a\n# ");
    memset(text + strlen(text), 'x', 255 - 2);
    strcpy(text + 9 + 255, "\r\nserver b\n");
    manifest::Result r = parse_text(text);
    CHECK_TEXT(r.ok, r.message);
    // The long line is rejected even without a line end and all spaces.
    memset(text, ' ', 300);
    text[300] = '\0';
    expect_error(text, 1, "longer than 255 characters (300)");
}

TEST(ManifestErrors, CrossReferences) {
    expect_error("server shell\n  give console.tty rights=s at=1\n", 2,
                 "give console.tty names unknown server 'console'");
    expect_error("server console\n  endpoint tty at=1\nserver shell\n  give console.log rights=s at=1\n", 4,
                 "server console declares no endpoint 'log'");
    // A give of something the target has, but not as an endpoint of its own.
    expect_error(
        "server a\n endpoint e at=1\nserver b\n give a.e rights=s at=1\nserver c\n give b.e rights=s at=1\n",
        6, "server b declares no endpoint 'e'");
    // The first bad give in the text is reported.
    expect_error(
        "server a\n give x.e rights=s at=1\n give y.e rights=s at=2\nserver b\n give z.e rights=s at=1\n", 2,
        "unknown server 'x'");
    // A line error comes before any cross reference error.
    expect_error("server a\n give x.e rights=s at=1\nserver b prio=99\n", 3, "prio 99 out of range");
}

TEST(ManifestErrors, NullText) {
    manifest::Result r = manifest::parse(nullptr, 5, g_manifest);
    CHECK_FALSE(r.ok);
    UNSIGNED_LONGS_EQUAL(0, r.line);
    STRCMP_CONTAINS("no text", r.message);
}

TEST_GROUP(ManifestFuzz){};

namespace {

// 1-based number of the line holding byte offset `at` (or the last line if at == len).
u32 lines_in(const char* text, usize len) {
    u32 lines = 1;
    for (usize i = 0; i < len; ++i) {
        if (text[i] == '\n' && i + 1 < len) ++lines;
    }
    return lines;
}

// What a successful parse promises init, checked independently of the parser.
void check_manifest(const manifest::Manifest& m) {
    CHECK(m.count <= manifest::kMaxServers);
    for (u32 i = 0; i < m.count; ++i) {
        const manifest::Server& s = m.servers[i];
        usize name_length = strnlen(s.name, sizeof(s.name));
        CHECK(name_length >= 1 && name_length <= manifest::kMaxNameLength);
        CHECK(s.name[0] >= 'a' && s.name[0] <= 'z');
        CHECK(strnlen(s.args, sizeof(s.args)) < sizeof(s.args));
        CHECK(s.priority <= manifest::kMaxPriority);
        CHECK(s.cpus != 0);
        for (u32 j = 0; j < i; ++j) CHECK(strcmp(s.name, m.servers[j].name) != 0);
        CHECK(s.grant_count <= manifest::kMaxGrants);
        for (u32 j = 0; j < s.grant_count; ++j) {
            const manifest::Grant& g = s.grants[j];
            CHECK(g.slot >= manifest::kMinSlot && g.slot <= manifest::kMaxSlot);
            for (u32 k = 0; k < j; ++k) CHECK(g.slot != s.grants[k].slot);
            switch (g.kind) {
                case GrantKind::kOwnEndpoint:
                case GrantKind::kEndpoint: {
                    CHECK(g.target_server < m.count);
                    const manifest::Server& t = m.servers[g.target_server];
                    CHECK(g.target_grant < t.grant_count);
                    const manifest::Grant& e = t.grants[g.target_grant];
                    CHECK(e.kind == GrantKind::kOwnEndpoint);
                    STRCMP_EQUAL(g.server, t.name);
                    STRCMP_EQUAL(g.endpoint, e.endpoint);
                    CHECK(g.rights != 0 && (g.rights & ~(kS | kR | kG)) == 0);
                    break;
                }
                case GrantKind::kIoPorts:
                    CHECK(g.count >= 1 && g.base + g.count <= manifest::kIoPortLimit);
                    break;
                case GrantKind::kIrq:
                    CHECK(g.base <= manifest::kMaxIrq && g.count == 1);
                    break;
                default:
                    FAIL("bad grant kind");
            }
        }
    }
}

// Parses a heap copy of exactly len bytes (so that a read past the end is
// caught by sanitizers and valgrind) and checks the result either way.
void parse_and_check(const char* text, usize len) {
    char* copy = new char[len == 0 ? 1 : len];
    memcpy(copy, text, len);
    manifest::Result r = manifest::parse(copy, len, g_manifest);
    if (r.ok) {
        check_manifest(g_manifest);
        STRCMP_EQUAL("ok", r.message);
    } else {
        CHECK_TEXT(r.line >= 1 && r.line <= lines_in(copy, len), r.message);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "line %u: ", r.line);
        CHECK_TEXT(strncmp(r.message, prefix, strlen(prefix)) == 0, r.message);
        CHECK(strnlen(r.message, sizeof(r.message)) < sizeof(r.message));
    }
    delete[] copy;
}

}  // namespace

TEST(ManifestFuzz, EveryTruncation) {
    const usize len = strlen(kRealistic);
    u32 ok = 0;
    for (usize n = 0; n <= len; ++n) {
        parse_and_check(kRealistic, n);
        if (manifest::parse(kRealistic, n, g_manifest).ok) ++ok;
    }
    // Some prefixes end on a whole statement and parse (the empty one, for instance).
    CHECK(ok > 0);
}

TEST(ManifestFuzz, EveryByteFlipped) {
    static char text[sizeof(kRealistic)];
    const usize len = strlen(kRealistic);
    const char values[] = {'\0', '\n', '\r', ' ', '"', '#', '=', '.', 'x', '0', '\x80', '\xff'};
    for (usize i = 0; i < len; ++i) {
        for (char v : values) {
            memcpy(text, kRealistic, len);
            text[i] = v;
            parse_and_check(text, len);
            text[i] = static_cast<char>(kRealistic[i] ^ 0x20);
            parse_and_check(text, len);
        }
    }
}

TEST(ManifestFuzz, RandomMutations) {
    static char text[sizeof(kRealistic)];
    const usize len = strlen(kRealistic);
    u64 state = 0x12345678;
    auto next = [&state]() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<u32>(state >> 33);
    };
    for (u32 round = 0; round < 20000; ++round) {
        memcpy(text, kRealistic, len);
        u32 flips = 1 + next() % 8;
        for (u32 f = 0; f < flips; ++f) text[next() % len] = static_cast<char>(next());
        parse_and_check(text, next() % (len + 1));
    }
}

TEST(ManifestParse, ProgramDefaultsToTheNameAndMayBeShared) {
    manifest::Result r = parse_text(
        "server victim program=ipctest restart=yes\n"
        "  endpoint svc at=2\n"
        "server prober program=ipctest restart=no\n"
        "  give victim.svc rights=s at=4\n"
        "server names\n");
    CHECK_TEXT(r.ok, r.message);
    UNSIGNED_LONGS_EQUAL(3, g_manifest.count);
    STRCMP_EQUAL("ipctest", g_manifest.servers[0].program);
    STRCMP_EQUAL("ipctest", g_manifest.servers[1].program);
    STRCMP_EQUAL("names", g_manifest.servers[2].program);
    expect_error("server a program=b program=c\n", 1, "program given twice");
    expect_error("server a program=Bad\n", 1, "program name");
    expect_error("server a program=\n", 1, "program name");
}

TEST(ManifestParse, InitOffersItsControlEndpoint) {
    manifest::Result r = parse_text(
        "server shell privileged\n"
        "  give init.control rights=s at=5\n");
    CHECK_TEXT(r.ok, r.message);
    const manifest::Grant& g = g_manifest.servers[0].grants[0];
    CHECK(g.kind == GrantKind::kInitEndpoint);
    UNSIGNED_LONGS_EQUAL(5, g.slot);
    UNSIGNED_LONGS_EQUAL(kS, g.rights);
    STRCMP_EQUAL("init", g.server);
    STRCMP_EQUAL("control", g.endpoint);
    STRCMP_EQUAL("give", manifest::kind_name(g.kind));
    expect_error("server shell\n  give init.tty rights=s at=5\n", 2, "init offers only the endpoint 'control'");
    expect_error("server init\n", 1, "server name 'init' is reserved");
}
