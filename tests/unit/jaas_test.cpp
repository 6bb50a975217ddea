#define CAF_SUITE actors.config.jaas
#include "caf/test/unit_test.hpp"

#include "actors/jaas.hpp"

using namespace cafka;

namespace {

std::vector<jaas_entry> parsed(std::string_view text) {
  auto entries = parse_jaas_config(text);
  if (!entries)
    CAF_FAIL("parse_jaas_config: " << entries.error());
  return *entries;
}

std::string option(const jaas_entry& e, const std::string& name) {
  for (auto& [key, value] : e.options)
    if (key == name)
      return value;
  return "<absent>";
}

std::string error_of(std::string_view text) {
  auto entries = parse_jaas_config(text);
  return entries ? std::string{} : entries.error();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

CAF_TEST(kafka documentation examples) {
  auto plain = parsed(R"(org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";)");
  CAF_REQUIRE_EQUAL(plain.size(), 1u);
  CAF_CHECK_EQUAL(plain[0].login_module, "org.apache.kafka.common.security.plain.PlainLoginModule");
  CAF_CHECK_EQUAL(plain[0].control_flag, "required");
  CAF_REQUIRE_EQUAL(plain[0].options.size(), 2u);
  CAF_CHECK_EQUAL(plain[0].options[0].first, "username");
  CAF_CHECK_EQUAL(plain[0].options[0].second, "alice");
  CAF_CHECK_EQUAL(plain[0].options[1].first, "password");
  CAF_CHECK_EQUAL(plain[0].options[1].second, "alice-secret");
  auto oauth = parsed("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule Required\n"
                      "  unsecuredLoginStringClaim_sub=\"thePrincipalName\"\n"
                      "  unsecuredLoginListClaim_scope=\"|scopeValue1|scopeValue2\"\n"
                      "  unsecuredLoginLifetimeSeconds=\"60\"\n"
                      "  unsecuredLoginExtension_traceId=\"123\";");
  CAF_CHECK_EQUAL(oauth[0].control_flag, "required");
  CAF_CHECK_EQUAL(option(oauth[0], "unsecuredLoginListClaim_scope"), "|scopeValue1|scopeValue2");
  CAF_CHECK_EQUAL(option(oauth[0], "unsecuredLoginExtension_traceId"), "123");
  auto none = parsed("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;");
  CAF_CHECK(none[0].options.empty());
}

CAF_TEST(quoting and escaping) {
  auto e = parsed(R"(M required
      dq="pa\"ss" sq='say "hi"' sq2='it\'s' bs="back\\slash" tab="a\tb" nl="a\nb"
      octal="\101\7\0101" other="\q\;" empty="" semi="a;b=c" spaces="  two  words "
      slashes="//not a comment /* nor this */";)");
  CAF_REQUIRE_EQUAL(e.size(), 1u);
  CAF_CHECK_EQUAL(option(e[0], "dq"), "pa\"ss");
  CAF_CHECK_EQUAL(option(e[0], "sq"), "say \"hi\"");
  CAF_CHECK_EQUAL(option(e[0], "sq2"), "it's");
  CAF_CHECK_EQUAL(option(e[0], "bs"), "back\\slash");
  CAF_CHECK_EQUAL(option(e[0], "tab"), "a\tb");
  CAF_CHECK_EQUAL(option(e[0], "nl"), "a\nb");
  // Java's octal escapes: up to three digits when the first is 0-3, else two ("\0101" is "\010" "1").
  CAF_CHECK_EQUAL(option(e[0], "octal"), std::string("A\a\b1"));
  CAF_CHECK_EQUAL(option(e[0], "other"), "q;");
  CAF_CHECK_EQUAL(option(e[0], "empty"), "");
  CAF_CHECK_EQUAL(option(e[0], "semi"), "a;b=c");
  CAF_CHECK_EQUAL(option(e[0], "spaces"), "  two  words ");
  CAF_CHECK_EQUAL(option(e[0], "slashes"), "//not a comment /* nor this */");
}

CAF_TEST(unquoted words comments and several entries) {
  auto e = parsed("// a comment\n"
                  "A.B.C required user=alice pin=1234 path=a.b-c_d$e /* inline\n comment */;\n"
                  "D optional x=\"y\"; // trailing");
  CAF_REQUIRE_EQUAL(e.size(), 2u);
  CAF_CHECK_EQUAL(e[0].login_module, "A.B.C");
  CAF_CHECK_EQUAL(option(e[0], "user"), "alice");
  CAF_CHECK_EQUAL(option(e[0], "pin"), "1234");
  CAF_CHECK_EQUAL(option(e[0], "path"), "a.b-c_d$e");
  CAF_CHECK_EQUAL(e[1].login_module, "D");
  CAF_CHECK_EQUAL(e[1].control_flag, "optional");
  auto sufficient = parsed("X SUFFICIENT;");
  CAF_CHECK_EQUAL(sufficient[0].control_flag, "sufficient");
  auto requisite = parsed("X requisite;");
  CAF_CHECK_EQUAL(requisite[0].control_flag, "requisite");
  // Repeated names are kept in order; the configuration decides what that means.
  CAF_CHECK_EQUAL(parsed("X required a=1 a=2;")[0].options.size(), 2u);
}

CAF_TEST(syntax errors say where) {
  CAF_CHECK_EQUAL(error_of(""), "no login module given");
  CAF_CHECK_EQUAL(error_of("  // only a comment"), "no login module given");
  CAF_CHECK_EQUAL(error_of("M required a=\"b\""), "the login module's entry is not closed by ';'");
  CAF_CHECK(contains(error_of("M a=\"b\";"), "expected a control flag"));
  CAF_CHECK(contains(error_of("M mandatory;"), "expected a control flag"));
  CAF_CHECK(contains(error_of("M;"), "expected a control flag"));
  CAF_CHECK_EQUAL(error_of("M required a=;"), "option 'a' has no value");
  CAF_CHECK_EQUAL(error_of("M required a;"), "expected '=' after the option name at position 12");
  CAF_CHECK_EQUAL(error_of("M required =b;"), "expected an option name or ';' at position 12");
  CAF_CHECK_EQUAL(error_of("M required a=\"b;"), "the quoted value opened at position 14 is not closed on its line");
  CAF_CHECK_EQUAL(error_of("M required a=\"b\nc\";"), "the quoted value opened at position 14 is not closed on its line");
  CAF_CHECK_EQUAL(error_of("M required /* open"), "unterminated /* comment at position 12");
  CAF_CHECK_EQUAL(error_of("M required a=/x;"), "unexpected character at position 14");
  CAF_CHECK_EQUAL(error_of("M required a=b!;"), "unexpected character at position 15");
}

CAF_TEST(errors never show option values) {
  const std::string secret = "Tr0ub4dor";
  for (auto text : {"M required password=\"Tr0ub4dor;",                  // unterminated
                    "M required password=Tr0ub4dor Tr0ub4dor;",         // unquoted with a space
                    "M required password=\"x\" \"Tr0ub4dor\";",          // a value without a name
                    "M required password=Tr0ub4dor!;",                  // a stray character
                    "M required password=\"Tr0ub4dor\"",                // no ';'
                    "\"Tr0ub4dor\" \"Tr0ub4dor\" password=\"Tr0ub4dor\";", // no control flag
                    "M required password=Tr0ub4dor=;"}) {               // '=' after a value
    auto e = error_of(text);
    CAF_CHECK(!e.empty());
    CAF_CHECK_EQUAL(contains(e, secret) ? e : "", ""); // shows the error if it holds the secret
  }
  // Only a word left of '=' is named: that is where names stand.
  CAF_CHECK_EQUAL(error_of("M required password=;"), "option 'password' has no value");
}
