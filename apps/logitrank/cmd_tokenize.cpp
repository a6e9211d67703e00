// `logitrank tokenize --tokenizer PATH (--text FILE | --string S) [--with-special]`:
// prints the token ids on one line, space-separated. Default: ids as encode() gives
// them (no BOS); --with-special prepends the BOS the tokenizer's own files call for.
// --text reads the file as `run` does (UTF-8 checked, Project Gutenberg header/footer
// stripped when present; --keep-boilerplate keeps them).
#include <cstdio>
#include <string>

#include "commands.h"
#include "io/error.h"
#include "tokenizer/text_windows.h"
#include "tokenizer/tokenizer.h"

namespace logitrank::app {

Handler add_tokenize_command(CLI::App& app) {
  struct Opts {
    std::string tokenizer, text, str;
    bool with_special = false, keep_boilerplate = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("tokenize", "print the token ids of a text or string, one line, space-separated");
  cmd->add_option("--tokenizer", o->tokenizer,
                  "tokenizer.json / tokenizer.model / llama2.c tokenizer .bin, or a folder")
      ->required();
  auto* text = cmd->add_option("--text", o->text, "UTF-8 text file");
  auto* str = cmd->add_option("--string", o->str, "literal text");
  text->excludes(str);
  str->excludes(text);
  cmd->add_flag("--with-special", o->with_special,
                "prepend the tokenizer's BOS (as run does for each window)");
  cmd->add_flag("--keep-boilerplate", o->keep_boilerplate,
                "with --text: keep a Project Gutenberg header/footer");

  return [o, text, str]() -> int {
    if (text->count() == 0 && str->count() == 0) throw InputError("tokenize: give --text FILE or --string S");
    auto tok = tokenizer::Tokenizer::open(o->tokenizer);
    std::string input;
    if (text->count())
      input = tokenizer::load_text(o->text, !o->keep_boilerplate).body;
    else
      input = o->str;
    auto ids = tok->encode(input);
    std::string line;
    line.reserve(ids.size() * 6 + 8);
    if (o->with_special) {
      if (auto b = tok->bos_id()) line += std::to_string(*b);
    }
    for (int32_t id : ids) {
      if (!line.empty()) line += ' ';
      line += std::to_string(id);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    return 0;
  };
}

}  // namespace logitrank::app
