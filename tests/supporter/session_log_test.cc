#include "supporter-app/core/session_log.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fakes/manual_clock.h"
#include "tests/support/text_files.h"

namespace tether::supporter {
namespace {

using Fields = SessionLog::Fields;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

using ::tether::test::Lines;

class SessionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "tether_protocol_XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    // 14:02:11.500 on the fake clock's day.
    clock_.Advance(std::chrono::hours(14) + std::chrono::minutes(2) +
                   std::chrono::seconds(11) + std::chrono::milliseconds(500));
  }
  void TearDown() override {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<SessionLog> MakeProtocol(
      const std::string& code = "12345678") {
    auto protocol = SessionLog::Create(dir_, code, clock_);
    EXPECT_TRUE(protocol.has_value()) << protocol.error().message;
    return protocol ? *std::move(protocol) : nullptr;
  }

  std::filesystem::path dir_;
  tether::test::ManualClock clock_;
};

TEST_F(SessionLogTest, CreatesBothFilesPrivateNamedByUtcTimeAndCode) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  EXPECT_EQ(protocol->json_path(), dir_ / "2026-11-23_14-02-11_12345678.jsonl");
  EXPECT_EQ(protocol->text_path(), dir_ / "2026-11-23_14-02-11_12345678.txt");
  for (const auto& path : {protocol->json_path(), protocol->text_path()}) {
    struct stat st {};
    ASSERT_EQ(lstat(path.c_str(), &st), 0) << path;
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
    EXPECT_EQ(st.st_size, 0);
  }
}

TEST_F(SessionLogTest, WritesTheJsonLineAndTheReadableLine) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  ASSERT_TRUE(
      protocol
          ->Write(SessionLogEvent::kConsentAnswered,
                  {{"permission", "remote control"}, {"granted", "yes"}})
          .has_value());
  EXPECT_EQ(ReadAll(protocol->json_path()),
            "{\"time\":\"2026-11-23T14:02:11.500Z\",\"event\":"
            "\"consent_answered\",\"permission\":\"remote control\","
            "\"granted\":\"yes\"}\n");
  EXPECT_EQ(ReadAll(protocol->text_path()),
            "2026-11-23 14:02:11 UTC  Customer allowed: remote control\n");
}

TEST_F(SessionLogTest, EveryEventHasANameAndReadsBack) {
  struct Case {
    SessionLogEvent event;
    const char* name;
    Fields fields;
    const char* readable;  // after the time stamp
  };
  const std::vector<Case> cases = {
      {SessionLogEvent::kSessionStarted,
       "session_started",
       {{"code", "12345678"}, {"technician", "alice"}, {"relay", "relay:443"}},
       "Session started (code: 12345678, technician: alice, relay: "
       "relay:443)"},
      {SessionLogEvent::kCustomerJoined,
       "customer_joined",
       {{"host", "pc-7"}, {"user", "bob"}, {"address", "10.0.0.7"}},
       "Customer joined (host: pc-7, user: bob, address: 10.0.0.7)"},
      {SessionLogEvent::kJoinAccepted,
       "join_accepted",
       {},
       "Technician accepted the customer"},
      {SessionLogEvent::kJoinRejected,
       "join_rejected",
       {},
       "Technician turned the customer away"},
      {SessionLogEvent::kSasShown,
       "sas_shown",
       {{"sas", "123 456"}},
       "Security code shown: 123 456"},
      {SessionLogEvent::kTermsAnswered,
       "terms_answered",
       {{"agreed", "yes"}},
       "Customer agreed to the terms"},
      {SessionLogEvent::kConsentAsked,
       "consent_asked",
       {{"permission", "view"}, {"detail", "whole desktop"}},
       "Asked the customer: view (detail: whole desktop)"},
      {SessionLogEvent::kConsentAnswered,
       "consent_answered",
       {{"permission", "file transfer"}, {"granted", "no"}},
       "Customer refused: file transfer"},
      {SessionLogEvent::kControlOn, "control_on", {}, "Remote control on"},
      {SessionLogEvent::kControlOff,
       "control_off",
       {{"by", "customer"}},
       "Remote control off (by: customer)"},
      {SessionLogEvent::kViewSwitch,
       "view_switch",
       {{"on", "monitor 2"}},
       "View switch (on: monitor 2)"},
      {SessionLogEvent::kFileOffered,
       "file_offered",
       {{"name", "log.txt"}, {"size", "12"}, {"sha256", "ab"}},
       "File offered: log.txt (size: 12, sha256: ab)"},
      {SessionLogEvent::kFileDone,
       "file_done",
       {{"name", "log.txt"}, {"size", "12"}, {"result", "saved"}},
       "File log.txt: saved (size: 12)"},
      {SessionLogEvent::kChat,
       "chat",
       {{"from", "technician"}, {"text", "hi"}},
       "Chat from technician: hi"},
      {SessionLogEvent::kClipboardSent,
       "clipboard_sent",
       {{"bytes", "42"}},
       "Clipboard sent (bytes: 42)"},
      {SessionLogEvent::kRecordingStarted,
       "recording_started",
       {{"path", "/r/a.webm"}},
       "Recording started: /r/a.webm"},
      {SessionLogEvent::kRecordingStopped,
       "recording_stopped",
       {{"path", "/r/a.webm"}, {"frames", "60"}, {"duration", "2 s"}},
       "Recording stopped: /r/a.webm (frames: 60, duration: 2 s)"},
      {SessionLogEvent::kEmergencyStop,
       "emergency_stop",
       {},
       "Customer pressed STOP"},
      {SessionLogEvent::kSessionEnded,
       "session_ended",
       {{"reason", "stop"}, {"message", "bye"}},
       "Session ended (reason: stop, message: bye)"},
  };
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  for (const auto& c : cases) {
    EXPECT_STREQ(SessionLogEventName(c.event), c.name);
    EXPECT_EQ(SessionLogEventFromName(c.name), c.event);
    ASSERT_TRUE(protocol->Write(c.event, c.fields).has_value()) << c.name;
    clock_.Advance(std::chrono::milliseconds(1001));
  }
  EXPECT_STREQ(SessionLogEventName(static_cast<SessionLogEvent>(999)),
               "unknown");
  EXPECT_EQ(SessionLogEventFromName("nope"), std::nullopt);

  auto entries = ReadSessionLog(ReadAll(protocol->json_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), cases.size());
  const auto text = Lines(ReadAll(protocol->text_path()));
  ASSERT_EQ(text.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ((*entries)[i].event, cases[i].name);
    EXPECT_EQ((*entries)[i].fields, cases[i].fields) << cases[i].name;
    EXPECT_EQ(text[i].substr(25), cases[i].readable);
  }
  EXPECT_EQ((*entries)[0].time, "2026-11-23T14:02:11.500Z");
  EXPECT_EQ((*entries)[1].time, "2026-11-23T14:02:12.501Z");
  EXPECT_EQ(text[1].substr(0, 25), "2026-11-23 14:02:12 UTC  ");
}

TEST_F(SessionLogTest, EscapesJsonAndReplacesInvalidUtf8) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  const std::string nasty = std::string("q\"b\\n\nt\tc\x01") + '\0' + "\x7f" +
                            "é\xe2\x80\xa8" + "bad\xff\xc3(" + "\xed\xa0\x80";
  ASSERT_TRUE(protocol
                  ->Write(SessionLogEvent::kChat,
                          {{"from", "customer"}, {"text", nasty}})
                  .has_value());
  const std::string json = ReadAll(protocol->json_path());
  EXPECT_NE(json.find(R"("text":"q\"b\\n\nt\tc\u0001\u0000\u007fé\u2028bad)"
                      "\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
                      "\xef\xbf\xbd\"}\n"),
            std::string::npos)
      << json;
  auto entries = ReadSessionLog(json);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  const std::string expected = std::string("q\"b\\n\nt\tc\x01") + '\0' +
                               "\x7f" + "é\xe2\x80\xa8" + "bad\xef\xbf\xbd" +
                               "\xef\xbf\xbd(" +
                               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd";
  EXPECT_EQ((*entries)[0].fields[1].second, expected);
  // The readable file keeps one line per event.
  const auto text = Lines(ReadAll(protocol->text_path()));
  ASSERT_EQ(text.size(), 1u);
  EXPECT_NE(text[0].find("Chat from customer: q\"b\\n\\nt\\tc"),
            std::string::npos)
      << text[0];
}

TEST_F(SessionLogTest, ReadableTextDropsBidiOverrides) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  // U+202E would show "exe.txt" reversed in a viewer.
  ASSERT_TRUE(protocol
                  ->Write(SessionLogEvent::kFileOffered,
                          {{"name", "a\xe2\x80\xaetxt.exe"}})
                  .has_value());
  const std::string text = ReadAll(protocol->text_path());
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(text.find("a\xef\xbf\xbdtxt.exe"), std::string::npos);
  // The JSON keeps the exact name.
  auto entries = ReadSessionLog(ReadAll(protocol->json_path()));
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ((*entries)[0].fields[0].second, "a\xe2\x80\xaetxt.exe");
}

TEST_F(SessionLogTest, CutsHugeValuesSoTheReaderTakesThem) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  // Worst case for escaping: every byte becomes six.
  Fields fields;
  for (size_t i = 0; i < kMaxFields; ++i)
    fields.emplace_back("f" + std::to_string(i), std::string(100000, '\x01'));
  ASSERT_TRUE(protocol->Write(SessionLogEvent::kChat, fields).has_value());
  ASSERT_TRUE(protocol
                  ->Write(SessionLogEvent::kChat,
                          {{"text", std::string(20000, 'x') + "€€€"}})
                  .has_value());
  auto entries = ReadSessionLog(ReadAll(protocol->json_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  const std::string& cut = (*entries)[1].fields[0].second;
  EXPECT_LE(cut.size(), kMaxFieldValueBytes);
  EXPECT_TRUE(cut.ends_with("x [truncated]"));
}

TEST_F(SessionLogTest, NeverReplacesAnExistingProtocol) {
  const auto json = dir_ / "2026-11-23_14-02-11_12345678.jsonl";
  const auto text = dir_ / "2026-11-23_14-02-11_12345678.txt";
  { std::ofstream(json) << "earlier\n"; }
  EXPECT_FALSE(SessionLog::Create(dir_, "12345678", clock_).has_value());
  EXPECT_EQ(ReadAll(json), "earlier\n");
  EXPECT_FALSE(std::filesystem::exists(text));

  // Only the .txt exists: the .jsonl made meanwhile goes again.
  std::filesystem::remove(json);
  { std::ofstream(text) << "earlier\n"; }
  EXPECT_FALSE(SessionLog::Create(dir_, "12345678", clock_).has_value());
  EXPECT_EQ(ReadAll(text), "earlier\n");
  EXPECT_FALSE(std::filesystem::exists(json));

  // A symlink at the name is not followed.
  std::filesystem::remove(text);
  const auto target = dir_ / "target";
  std::filesystem::create_symlink(target, json);
  EXPECT_FALSE(SessionLog::Create(dir_, "12345678", clock_).has_value());
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(SessionLogTest, RejectsBadCodesFoldersAndFields) {
  for (const char* code : {"", "../x", "a/b", "12 34", "x\n"}) {
    EXPECT_FALSE(SessionLog::Create(dir_, code, clock_).has_value()) << code;
  }
  EXPECT_FALSE(
      SessionLog::Create(std::string(64, 'x'), "1", clock_).has_value());
  EXPECT_FALSE(SessionLog::Create(dir_ / "missing", "1", clock_).has_value());

  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  EXPECT_FALSE(
      protocol->Write(SessionLogEvent::kChat, {{"time", "x"}}).has_value());
  EXPECT_FALSE(
      protocol->Write(SessionLogEvent::kChat, {{"event", "x"}}).has_value());
  EXPECT_FALSE(protocol->Write(SessionLogEvent::kChat, {{"a", "1"}, {"a", "2"}})
                   .has_value());
  EXPECT_FALSE(protocol
                   ->Write(SessionLogEvent::kChat,
                           {{std::string(kMaxFieldNameBytes + 1, 'n'), "1"}})
                   .has_value());
  EXPECT_FALSE(
      protocol->Write(SessionLogEvent::kChat, {{"bad\xff", "1"}}).has_value());
  Fields many;
  for (size_t i = 0; i <= kMaxFields; ++i)
    many.emplace_back("f" + std::to_string(i), "v");
  EXPECT_FALSE(protocol->Write(SessionLogEvent::kChat, many).has_value());
  EXPECT_FALSE(
      protocol->Write(static_cast<SessionLogEvent>(999), {}).has_value());
  // Nothing of it was written.
  EXPECT_EQ(ReadAll(protocol->json_path()), "");
  EXPECT_EQ(ReadAll(protocol->text_path()), "");
}

// A full disk, for real: the file size limit makes write(2) fail with
// EFBIG part-way through a line, as ENOSPC would.
TEST_F(SessionLogTest, DiskErrorIsReportedAndTheNextWriteRetries) {
  auto protocol = MakeProtocol();
  ASSERT_TRUE(protocol);
  ASSERT_TRUE(protocol->Write(SessionLogEvent::kControlOn).has_value());
  const std::string json_before = ReadAll(protocol->json_path());
  const std::string text_before = ReadAll(protocol->text_path());

  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = std::max(json_before.size(), text_before.size()) + 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto failed =
      protocol->Write(SessionLogEvent::kChat,
                      {{"from", "customer"}, {"text", std::string(500, 'z')}});
  auto failed_again = protocol->Write(SessionLogEvent::kControlOff);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(failed.has_value());
  EXPECT_TRUE(failed.error().temporary());
  EXPECT_NE(failed.error().message.find("cannot be written"),
            std::string::npos);
  EXPECT_FALSE(failed_again.has_value());
  // The partial line was cut off again: whole lines only.
  EXPECT_EQ(ReadAll(protocol->json_path()), json_before);
  EXPECT_EQ(ReadAll(protocol->text_path()), text_before);

  ASSERT_TRUE(protocol->Write(SessionLogEvent::kEmergencyStop).has_value());
  auto entries = ReadSessionLog(ReadAll(protocol->json_path()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].event, "emergency_stop");
  EXPECT_EQ(Lines(ReadAll(protocol->text_path())).size(), 2u);
}

TEST_F(SessionLogTest, ReadOnlyFolderFailsAtCreate) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root writes into read-only folders";
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_exec);
  auto protocol = SessionLog::Create(dir_, "12345678", clock_);
  ASSERT_FALSE(protocol.has_value());
  EXPECT_NE(protocol.error().message.find("cannot create"), std::string::npos);
}

TEST(ReadProtocolTest, AcceptsEmptyInputAndEscapes) {
  auto none = ReadSessionLog("");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  auto one = ReadSessionLog(
      R"({"time":"2026-01-02T03:04:05.006Z","event":"chat","text":"\u00e9\u00C9\"\\\b\f\n\r\t"})"
      "\n");
  ASSERT_TRUE(one.has_value()) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].fields[0].second, "éÉ\"\\\b\f\n\r\t");
}

TEST(ReadProtocolTest, RejectsAnythingWriteDoesNotProduceNamingTheLine) {
  const std::string good =
      R"({"time":"2026-01-02T03:04:05.006Z","event":"control_on"})"
      "\n";
  const std::string head = R"({"time":"2026-01-02T03:04:05.006Z","event":)";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"\n", "does not start"},
      {" " + good, "does not start"},
      {head + R"("chat", "a":"b"})"
              "\n",
       "expected a string"},
      {head + R"("chat","a":"\/"})"
              "\n",
       "unknown escape"},
      {head + R"("chat","a":"\x"})"
              "\n",
       "unknown escape"},
      {head + R"("chat","a":"\u12"})"
              "\n",
       "bad \\u escape"},
      {head + R"("chat","a":"\ud800"})"
              "\n",
       "surrogate"},
      {head + "\"chat\",\"a\":\"\t\"}\n", "control character"},
      {head + "\"chat\",\"a\":\"\xff\"}\n", "invalid UTF-8"},
      {head + "\"chat\",\"a\":\"\xc0\xaf\"}\n", "invalid UTF-8"},
      {head + R"("chat","a":1})"
              "\n",
       "expected a string"},
      {head + R"("chat","a":"1","a":"2"})"
              "\n",
       "twice"},
      {head + R"("chat","time":"2"})"
              "\n",
       "twice"},
      {head + R"("nope"})"
              "\n",
       "unknown event"},
      {head + R"("chat"}x)"
              "\n",
       "after the object"},
      {head + R"("chat")"
              "\n",
       "expected ',' or '}'"},
      {head + R"("chat","a":"b)"
              "\n",
       "unterminated string"},
      {R"({"event":"chat","time":"2026-01-02T03:04:05.006Z"})"
       "\n",
       "not \"time\""},
      {R"({"time":"2026-01-02 03:04:05.006Z","event":"chat"})"
       "\n",
       "bad time"},
      {R"({"time":"2026-13-02T03:04:05.006Z","event":"chat"})"
       "\n",
       "bad time"},
      {R"({"time":"2026-01-02T03:04:05.006Z"})"
       "\n",
       "has no event"},
      {R"({})"
       "\n",
       "expected a string"},
      {head + "\"chat\",\"a\":\"" + std::string(kMaxFieldValueBytes + 1, 'x') +
           "\"}\n",
       "too long"},
  };
  for (const auto& [input, why] : bad) {
    // As the third line, so the error must name line 3.
    auto result = ReadSessionLog(good + good + input + good);
    ASSERT_FALSE(result.has_value()) << input;
    EXPECT_NE(result.error().message.find("line 3: "), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find(why), std::string::npos)
        << "input: " << input << "\nerror: " << result.error().message;
  }
  // A last line without its newline was cut off (a crash mid-write).
  auto cut = ReadSessionLog(good + good + good.substr(0, good.size() - 1));
  ASSERT_FALSE(cut.has_value());
  EXPECT_NE(cut.error().message.find("line 3: not terminated"),
            std::string::npos);

  auto many = head + R"("chat")";
  for (size_t i = 0; i <= kMaxFields; ++i)
    many += ",\"f" + std::to_string(i) + "\":\"v\"";
  auto too_many = ReadSessionLog(many + "}\n");
  ASSERT_FALSE(too_many.has_value());
  EXPECT_NE(too_many.error().message.find("too many"), std::string::npos);
}

TEST(ReadProtocolTest, SizeLimits) {
  const std::string long_line(kMaxProtocolLineBytes + 1, 'x');
  auto line = ReadSessionLog(long_line + "\n");
  ASSERT_FALSE(line.has_value());
  EXPECT_NE(line.error().message.find("line 1: longer than"),
            std::string::npos);
  const std::string huge(kMaxProtocolFileBytes + 1, '\n');
  auto file = ReadSessionLog(huge);
  ASSERT_FALSE(file.has_value());
  EXPECT_NE(file.error().message.find("16 MiB"), std::string::npos);
}

}  // namespace
}  // namespace tether::supporter
