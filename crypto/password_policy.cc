#include "crypto/password_policy.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "base/ascii.h"
#include "base/utf8.h"
#include "crypto/password_hash.h"

namespace tether::crypto {

namespace {

// Passwords attackers try first: the top of the public breach-corpus
// rankings, keyboard walks, names, sports teams, seasons, months, years and
// the words people use for "password" in several languages. Lower case,
// sorted (checked below). Small variations are caught by Candidates().
// clang-format off
constexpr std::string_view kCommonPasswords[] = {
    "0000", "000000", "00000000", "0987654321", "101010", "102030", "1111",
    "111111", "11111111", "112211", "112233", "11223344", "1212", "121212",
    "12121212", "123123", "123123123", "1231231234", "123321", "1234",
    "12341234", "12344321", "12345", "1234512345", "123454321", "1234554321",
    "123456", "1234567", "12345678", "123456789", "1234567890", "123456a",
    "123456q", "1234asdf", "1234qwer", "123654", "123abc", "123abc123",
    "123qwe", "123qweasd", "123qweasdzxc", "131313", "147258", "147258369",
    "147852", "159357", "159753", "1950", "1951", "1952", "1953", "1954",
    "1955", "1956", "1957", "1958", "1959", "1960", "1961", "1962", "1963",
    "1964", "1965", "1966", "1967", "1968", "1969", "1970", "1971", "1972",
    "1973", "1974", "1975", "1976", "1977", "1978", "1979", "1980", "1981",
    "1982", "1983", "1984", "1985", "1986", "1987", "1988", "1989", "1990",
    "1991", "1992", "1993", "1994", "1995", "1996", "1997", "1998", "1999",
    "1a2b3c4d", "1q2w3e", "1q2w3e4r", "1q2w3e4r5t", "1qaz", "1qaz2wsx",
    "1qaz2wsx3edc", "1qazxsw2", "2000", "2001", "2002", "2003", "2004", "2005",
    "2006", "2007", "2008", "2009", "2010", "2011", "2012", "2013", "2014",
    "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023",
    "2024", "2025", "2026", "2027", "2028", "2029", "2030", "2222", "2wsx",
    "321321", "3333", "3edc", "4444", "456789", "5555", "555555", "654321",
    "6666", "666666", "696969", "741852963", "7777", "777777", "7777777",
    "789456", "789456123", "8888", "88888888", "963852741", "987654",
    "987654321", "9876543210", "9999", "99999999", "a123456", "a1b2c3",
    "a1b2c3d4", "a1s2d3", "aa123456", "aaa111", "aaaaaa", "aaaaaa1", "aaaaaaa",
    "abc", "abc123", "abc12345", "abcabc", "abcd", "abcd1234", "abcde",
    "abcdef", "abcdefg", "abcdefgh", "abcdefghij", "abcdefghijklmnopqrstuvwxyz",
    "access", "access123", "adgangskode", "admin", "admin1", "admin123",
    "admin1234", "adminadmin", "administrator", "administrator1", "alex",
    "alexander", "alexandra", "always", "amanda", "amanda1", "amazon", "amen",
    "america", "andrew", "andrew1", "android", "angel", "angel1", "angels",
    "anna", "anthony", "anydesk", "anything", "apple", "apple1", "april",
    "arsenal", "asd123", "asdasd", "asdf", "asdf1234", "asdfasdf", "asdfgh",
    "asdfgh1", "asdfghjk", "asdfghjkl", "asdfghjkl123", "asdqwe", "asdzxc",
    "ashley", "ashley1", "asshole", "august", "austin", "australia", "autumn",
    "avengers", "azerty", "babe", "baby", "babydoll", "babygirl", "babylove",
    "bailey", "banana", "barcelona", "baseball", "baseball1", "baseball12",
    "basketball", "batman", "batman1", "batman123", "battery", "bear",
    "beatles", "beautiful", "beer", "bella", "berlin", "bestfriend", "bible",
    "bitch", "biteme", "black", "blank", "blessed", "blowjob", "blue", "bmw",
    "boss", "boston", "brain", "brandon", "brazil", "brian", "brother", "buddy",
    "bulldog", "bulls", "bunny", "business", "buster", "butterfly",
    "california", "camaro", "canada", "candy", "cash", "cat", "celtics",
    "champion", "changeit", "changeme", "changeme1", "changeme123", "charlie",
    "charlie1", "charlie123", "charlie2", "cheese", "cheese1", "cheetah",
    "chelsea", "chelsea1", "cherry", "chevy", "chicago", "chicken", "children",
    "china", "chloe", "chocolate", "chris", "christ", "christopher", "church",
    "clever", "cloud", "cobra", "cock", "coco", "coffee", "company", "computer",
    "computer1", "contrasena", "cookie", "cookies", "correct",
    "correcthorsebatterystaple", "corvette", "cowboys", "cricket", "crystal",
    "cute", "cutie", "cutiepie", "daddy", "daisy", "dallas", "damn", "dance",
    "dancer", "daniel", "daniel1", "daughter", "david", "december", "default",
    "demo", "demo123", "diablo", "diamond", "diana", "dick", "dodgers", "dog",
    "doggy", "doll", "dollar", "dolphin", "donkey", "dragon", "dragon1",
    "dragon123", "dragonfly", "dragons", "drummer", "duke", "eagle", "eagles",
    "ebay", "elizabeth", "elvis", "emerald", "emily", "eminem", "emma", "empty",
    "england", "enterprise", "eric", "everything", "facebook", "faith",
    "falcon", "fall", "family", "father", "february", "ferrari",
    "firstpassword", "fish", "florida", "flower", "flowers", "football",
    "football1", "football12", "ford", "forever", "fortnite", "france",
    "freedom", "freedom1", "friday", "friend", "friends", "frodo", "fuck",
    "fuckoff", "fuckyou", "gamer", "gandalf", "genius", "george", "george1",
    "germany", "giants", "ginger", "gmail", "god", "godisgood", "goku", "gold",
    "golden", "golf", "golfer", "google", "grace", "grandma", "grandpa",
    "green", "guest", "guestguest", "guitar", "halo", "hannah", "hannah1",
    "hardcore", "harley", "harley1", "haslo", "hawk", "heat", "heaven", "hell",
    "hello", "hello123", "hellokitty", "helpdesk", "helpdesk1", "heslo", "hey",
    "hi", "hobbit", "hockey", "hockey1", "hockey12", "honda", "honey", "hope",
    "horse", "hot", "hotmail", "hotstuff", "hottie", "hulk", "hunter",
    "hunter1", "hunter2", "husband", "ilove", "iloveu", "iloveu2", "iloveyou",
    "iloveyou!", "iloveyou1", "iloveyou123", "iloveyou2", "imissyou", "india",
    "initial", "initialpass", "instagram", "internet", "iphone", "ironman",
    "italy", "jack", "jackie", "jaguar", "jake", "james", "january", "jasmine",
    "jason", "jasper", "jedi", "jelszo", "jennifer", "jennifer1", "jessica",
    "jessica1", "jesus", "john", "jonathan", "jordan", "jordan123", "jordan23",
    "joseph", "joshua", "joshua1", "july", "june", "justin", "juventus",
    "kevin", "kids", "killer", "killer1", "killer123", "kitten", "kitty",
    "klaster", "knicks", "lakers", "lauren", "lemon", "leopard", "letitbe",
    "letmein", "letmein!", "letmein1", "letmein123", "lightning", "lily",
    "linkedin", "lion", "liverpool", "lkjhgfdsa", "login", "login123", "london",
    "lord", "losenord", "love", "love123", "lovelove", "lovely", "loveme",
    "lover", "lovers", "loveu", "loveyou", "loveyou1", "lozinka", "lucky",
    "lucky1", "lucky7", "luna", "madrid", "maggie", "magic", "magician",
    "manager", "manchester", "manutd", "march", "maria", "mario", "mark",
    "marvel", "master", "master1", "master123", "matrix", "matrix1",
    "matrix123", "matthew", "matthew1", "max", "maximus", "may", "megan",
    "melissa", "mercedes", "merlin", "metallica", "mexico", "michael",
    "michael1", "michael12", "michelle", "microsoft", "million", "minecraft",
    "mnbvcxz", "mobilemail", "molly", "mom", "mommy", "monday", "money",
    "money123", "monitor", "monitoring", "monkey", "monkey1", "monkey12",
    "monkey123", "montana", "moon", "morpheus", "moscow", "motdepasse",
    "mother", "music", "mustang", "mustang1", "mylove", "mypass", "mypassword",
    "myspace", "naruto", "natasha", "ncc1701", "neo", "netflix", "network",
    "new123", "newpass", "newpassword", "newyork", "nicholas", "nicole",
    "nicole1", "nintendo", "nirvana", "none", "nopass", "nopassword", "nothing",
    "november", "null", "october", "office", "oldpassword", "oliver", "olivia",
    "one", "open", "opendoor", "opensesame", "openup", "orange", "oscar",
    "ozzy", "p@ssw0rd", "p@ssword", "pa55w0rd", "pa55word", "packers",
    "panther", "paris", "parola", "pass", "pass1", "pass12", "pass123",
    "pass1234", "passord", "passpass", "passphrase", "passw0rd", "password",
    "password!", "password1", "password12", "password123", "password1234",
    "password2", "password3", "password7", "password99", "passwords",
    "passwort", "patriots", "paul", "paypal", "peaches", "peanut", "pepper",
    "pepper1", "phoenix", "phoenix1", "piano", "pikachu", "pizza",
    "playstation", "poiuytrewq", "pokemon", "pony", "porn", "porsche", "pretty",
    "princess", "princess1", "princess12", "private", "protected", "puppy",
    "purple", "pussy", "pw123", "pwd", "q1w2e3", "q1w2e3r4", "q1w2e3r4t5",
    "qazqaz", "qazwsx", "qazwsxedc", "qazxswedc", "qqqqqq", "qwe123", "qweasd",
    "qweasdzxc", "qweqwe", "qwer", "qwerqwer", "qwerty", "qwerty!", "qwerty1",
    "qwerty12", "qwerty123", "qwerty1234", "qwerty12345", "qwertyui",
    "qwertyuiop", "qwertyuiop123", "qwertz", "rabbit", "rachel", "raiders",
    "rain", "rainbow", "ranger", "rangers", "rdp", "realmadrid", "rebecca",
    "red", "redsox", "remote", "remotesupport", "rich", "richard", "robert",
    "robert1", "roblox", "rock", "rocket", "rockon", "rockstar", "rocky",
    "rocky1", "rockyou", "rome", "root", "root123", "rootroot", "ruby",
    "running", "rush2112", "russia", "ryan", "sadie", "safety", "salasana",
    "samantha", "sample", "samsung", "sarah", "saturday", "secret", "secret1",
    "secret123", "secure", "security", "senha", "september", "server",
    "service", "sesame", "sex", "sexy", "sexy1", "shadow", "shadow1",
    "shadow123", "shark", "shit", "silver", "singer", "sister", "sky", "skype",
    "skywalker", "slayer", "smart", "snake", "snow", "soccer", "soccer1",
    "soccer12", "something", "son", "sonic", "sophia", "sophie", "spain",
    "spiderman", "spock", "spring", "staple", "star", "stars", "start",
    "start123", "startpass", "startrek", "starwars", "starwars1", "steelers",
    "steven", "storm", "stormy", "strawberry", "success", "sugar", "summer",
    "sun", "sunday", "sunflower", "sunny", "sunshine", "sunshine1",
    "sunshine123", "superman", "superman1", "superman123", "support",
    "support1", "supporter", "sweetheart", "sweetie", "sweety", "swimming",
    "system", "taylor", "teamviewer", "technician", "teddy", "temp", "temp123",
    "temporary", "temppass", "tennis", "test", "test123", "testing", "testtest",
    "tether", "tetherremote", "texas", "thomas", "thomas1", "thor", "thunder",
    "thunder1", "thursday", "thx1138", "tiger", "tigger", "toby", "together",
    "tokyo", "toor", "toyota", "trekkie", "trinity", "trinity1", "trustme",
    "trustno", "trustno1", "trustnoone", "tuesday", "turtle", "twitter",
    "tyler", "united", "unknown", "usa", "user", "useruser", "vader",
    "victoria", "vnc", "vodka", "wachtwoord", "warcraft", "wednesday",
    "welcome", "welcome!", "welcome1", "welcome123", "welcome2023",
    "welcome2024", "welcome2025", "whatever", "whatever1", "whiskey", "white",
    "wife", "william", "windows", "winner", "winner1", "winter", "wizard",
    "wolf", "word", "wsxwsx", "xbox", "xxxxxx", "yahoo", "yamaha", "yankee",
    "yankees", "yankees1", "yellow", "yoda", "youtube", "ytrewq", "z1x2c3",
    "zaq12wsx", "zaq1zaq1", "zaqxswcde", "zelda", "zeppelin", "zion", "zoe",
    "zxc123", "zxcasd", "zxcv", "zxcv1234", "zxcvbn", "zxcvbn1", "zxcvbnm",
    "zxcvbnm1", "zxcvbnm123", "zxczxc", "zzzzzz"
};
// clang-format on

constexpr bool IsLowerAscii(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c >= 'A' && c <= 'Z'; });
}
static_assert(std::is_sorted(std::begin(kCommonPasswords),
                             std::end(kCommonPasswords)));
static_assert(std::all_of(std::begin(kCommonPasswords),
                          std::end(kCommonPasswords),
                          IsLowerAscii));

// Words anyone guessing a Tether password tries first (SP 800-63B's
// "context-specific words"); the user name is handled on its own.
constexpr std::string_view kContextWords[] = {"tether"};

// Hard bounds on the policy knobs.
constexpr size_t kMinAllowedLength = 8;
constexpr size_t kMinMaxLength = 64;
// 4 bytes per code point at most, so every allowed password can be hashed.
constexpr size_t kMaxMaxLength = kMaxPasswordBytes / 4;
constexpr uint32_t kMaxHistory = 24;
constexpr uint32_t kMaxDays = 3650;
// Shorter user names ("al") would forbid too many passwords if contained.
constexpr size_t kMinUserNameToSearch = 3;

bool IsAsciiLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
// Letters for the purpose of stripping decorations: a-z and any non-ASCII
// byte (accented letters must not be stripped as if they were symbols).
bool IsWordByte(char c) {
  return IsAsciiLower(c) || static_cast<unsigned char>(c) >= 0x80;
}

// "2024!summer!!" -> "summer": the digits and symbols people add around a
// word to satisfy composition rules.
std::string_view StripDecorations(std::string_view s, bool leading) {
  while (!s.empty() && !IsWordByte(s.back()))
    s.remove_suffix(1);
  while (leading && !s.empty() && !IsWordByte(s.front()))
    s.remove_prefix(1);
  return s;
}

// "p@ssw0rd" -> "password". '1' stands for both 'i' and 'l', so the caller
// passes the letter to use.
std::string UndoLeet(std::string_view s, char one) {
  static constexpr std::pair<char, char> kLeet[] = {
      {'@', 'a'}, {'4', 'a'}, {'8', 'b'}, {'3', 'e'}, {'6', 'g'},
      {'9', 'g'}, {'!', 'i'}, {'0', 'o'}, {'$', 's'}, {'5', 's'},
      {'7', 't'}, {'+', 't'}, {'2', 'z'}};
  std::string out(s);
  for (char& c : out) {
    if (c == '1') {
      c = one;
      continue;
    }
    for (const auto& [from, to] : kLeet) {
      if (c == from) {
        c = to;
        break;
      }
    }
  }
  return out;
}

std::string WithoutSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ')
      out.push_back(c);
  }
  return out;
}

// The forms of a (lower-cased) password to look up in the blocklists, so
// that "Password123!", "Summer2024!", "P@ssw0rd", "i love you" and
// "passwordpassword" are caught along with the plain entries.
std::vector<std::string> Candidates(std::string_view lower,
                                    std::string_view repeated_unit) {
  std::vector<std::string> out;
  auto add_forms = [&out](std::string_view s) {
    const std::string_view core = StripDecorations(s, /*leading=*/true);
    out.emplace_back(s);
    out.emplace_back(core);
    out.push_back(WithoutSpaces(core));
    for (char one : {'i', 'l'}) {
      out.push_back(UndoLeet(s, one));
      out.push_back(UndoLeet(StripDecorations(s, /*leading=*/false), one));
      out.push_back(UndoLeet(core, one));
    }
  };
  add_forms(lower);
  if (!repeated_unit.empty())
    add_forms(repeated_unit);
  std::erase_if(out, [](const std::string& s) { return s.empty(); });
  return out;
}

bool IsCommon(const std::vector<std::string>& candidates,
              const PasswordPolicy& policy) {
  for (const std::string& candidate : candidates) {
    if (std::binary_search(std::begin(kCommonPasswords),
                           std::end(kCommonPasswords), candidate) ||
        std::find(std::begin(kContextWords), std::end(kContextWords),
                  candidate) != std::end(kContextWords)) {
      return true;
    }
    for (const std::string& extra : policy.extra_blocklist) {
      if (candidate == AsciiLower(extra))
        return true;
    }
  }
  return false;
}

// The shortest unit the whole password repeats ("abcabcabc" -> 3), or its
// length if it repeats nothing.
size_t RepeatPeriod(const std::u32string& cps) {
  const size_t n = cps.size();
  for (size_t period = 1; period < n; ++period) {
    if (n % period != 0)
      continue;
    bool repeats = true;
    for (size_t i = period; i < n && repeats; ++i) {
      repeats = cps[i] == cps[i - period];
    }
    if (repeats)
      return period;
  }
  return n;
}

// "12345678", "987654321", "1234567890", "abcdefgh", "zyxwvuts".
bool IsSimpleSequence(std::string_view lower) {
  if (lower.size() < 3)
    return false;
  const bool digits = std::all_of(lower.begin(), lower.end(), IsAsciiDigit);
  const bool letters = std::all_of(lower.begin(), lower.end(), IsAsciiLower);
  if (!digits && !letters)
    return false;
  for (int direction : {1, -1}) {
    bool sequence = true;
    for (size_t i = 1; i < lower.size() && sequence; ++i) {
      int step = lower[i] - lower[i - 1];
      // 7890 and 0987: the digit row wraps round.
      if (digits && step == -9 * direction)
        step = direction;
      sequence = step == direction;
    }
    if (sequence)
      return true;
  }
  return false;
}

bool ContainsUserName(std::string_view lower, std::string_view user_name) {
  const std::string name = AsciiLower(user_name);
  if (name.empty())
    return false;
  std::vector<std::string_view> names = {name};
  // For "alice@example.com", "alice" is what people put in passwords.
  if (size_t at = name.find('@'); at != std::string::npos && at > 0) {
    names.push_back(std::string_view(name).substr(0, at));
  }
  for (std::string_view n : names) {
    if (n.size() >= kMinUserNameToSearch) {
      if (lower.find(n) != std::string_view::npos)
        return true;
    } else if (StripDecorations(lower, /*leading=*/true) == n) {
      return true;
    }
  }
  return false;
}

int CharacterClasses(const std::u32string& cps) {
  bool lower = false, upper = false, digit = false, other = false;
  for (char32_t c : cps) {
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      other = true;
    }
  }
  return int{lower} + int{upper} + int{digit} + int{other};
}

std::string Characters(size_t n) {
  return std::to_string(n) + (n == 1 ? " character" : " characters");
}

}  // namespace

Result<void> Validate(const PasswordPolicy& policy) {
  if (policy.min_length < kMinAllowedLength) {
    return MakeError("password policy: min_length must be at least " +
                     std::to_string(kMinAllowedLength));
  }
  if (policy.max_length < kMinMaxLength || policy.max_length > kMaxMaxLength) {
    return MakeError("password policy: max_length must be between " +
                     std::to_string(kMinMaxLength) + " and " +
                     std::to_string(kMaxMaxLength) +
                     " (NIST SP 800-63B: allow at least 64 characters)");
  }
  if (policy.min_length > policy.max_length) {
    return MakeError(
        "password policy: min_length must not be greater than max_length");
  }
  if (policy.min_character_classes < 0 || policy.min_character_classes > 4) {
    return MakeError(
        "password policy: min_character_classes must be between 0 and 4");
  }
  if (policy.history > kMaxHistory) {
    return MakeError("password policy: history must be at most " +
                     std::to_string(kMaxHistory));
  }
  if (policy.expiry_days > kMaxDays ||
      policy.disable_after_idle_days > kMaxDays) {
    return MakeError(
        "password policy: expiry_days and "
        "disable_after_idle_days must be at most " +
        std::to_string(kMaxDays));
  }
  return {};
}

Result<void> CheckPassword(const PasswordPolicy& policy,
                           std::string_view password,
                           std::string_view user_name,
                           std::span<const std::string> previous_hashes) {
  if (auto valid = Validate(policy); !valid)
    return valid;

  const std::string too_long = "The password must be at most " +
                               Characters(policy.max_length) + " long.";
  // Cheap bound before decoding: no code point takes more than 4 bytes.
  if (password.size() > policy.max_length * 4)
    return MakeError(too_long);
  const std::optional<std::u32string> cps = DecodeUtf8(password);
  if (!cps) {
    return MakeError(
        "The password contains something that is not valid text (invalid "
        "UTF-8). Please type it again.");
  }
  for (char32_t c : *cps) {
    // Line breaks and tabs are nearly always a copy-and-paste accident, and
    // cannot be typed into most login forms.
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      return MakeError(
          "The password must not contain control characters such as line "
          "breaks or tabs.");
    }
  }
  if (cps->size() < policy.min_length) {
    return MakeError("The password must be at least " +
                     Characters(policy.min_length) + " long.");
  }
  if (cps->size() > policy.max_length)
    return MakeError(too_long);

  const std::string lower = AsciiLower(password);
  const size_t period = RepeatPeriod(*cps);
  if (period == 1) {
    return MakeError("The password must not be one character repeated.");
  }
  if (period <= 3) {
    return MakeError(
        "The password must not be a few characters repeated, like abcabc.");
  }
  if (IsSimpleSequence(lower)) {
    return MakeError(
        "The password must not be a simple sequence, like 12345678 or "
        "abcdefgh.");
  }
  if (ContainsUserName(lower, user_name)) {
    return MakeError("The password must not contain your user name.");
  }
  if (policy.use_blocklist) {
    // The repeated unit of "passwordpassword" is looked up too. Code points
    // were checked above, so the byte length of one unit is exact.
    std::string_view unit;
    if (period < cps->size()) {
      unit = std::string_view(lower).substr(
          0, lower.size() / (cps->size() / period));
    }
    if (IsCommon(Candidates(lower, unit), policy)) {
      return MakeError(
          "The password is on the list of commonly used passwords (or is a "
          "small variation of one). Please choose another.");
    }
  }
  if (CharacterClasses(*cps) < policy.min_character_classes) {
    return MakeError(
        "The password must contain at least " +
        std::to_string(policy.min_character_classes) +
        " of these: lower-case letters, upper-case letters, digits, other "
        "characters.");
  }

  const size_t history =
      std::min<size_t>(policy.history, previous_hashes.size());
  for (size_t i = 0; i < history; ++i) {
    auto same = VerifyPassword(password, previous_hashes[i]);
    if (!same) {
      // Out of memory may pass: let the caller retry. A damaged old hash
      // must not stop the user from ever changing their password, so it is
      // skipped.
      if (same.error().temporary())
        return Unexpected(std::move(same).error());
      continue;
    }
    if (*same) {
      return MakeError(
          policy.history == 1
              ? "The password must be different from your previous one."
              : "The password must be different from your last " +
                    std::to_string(policy.history) + " passwords.");
    }
  }
  return {};
}

}  // namespace tether::crypto
