#include "ctl/completion.h"

#include <algorithm>
#include <set>

namespace sloth::ctl {
namespace {

using Kind = Completion::Kind;

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// The option `word` names ("--name", "-n", "--name=x"), looked for from `app` up to the root:
// the root's options are global (slothctl accepts them after the command too).
const CLI::Option* FindOption(const CLI::App* app, std::string word) {
  word = word.substr(0, word.find('='));
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (!option->nonpositional()) continue;
      for (const auto& name : option->get_lnames()) {
        if (word == "--" + name) return option;
      }
      for (const auto& name : option->get_snames()) {
        if (word == "-" + name) return option;
      }
    }
  }
  return nullptr;
}

bool TakesValue(const CLI::Option* option) { return option->get_type_size() > 0; }

const CLI::App* FindSubcommand(const CLI::App* app, const std::string& name) {
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// The value kind an option's type name announces: "text|json" lists its values; PATH, DIR, URL,
// D (a duration), SECONDS and AGENT name kinds with a few usual values; anything else is free text.
Completion ValuesOf(const CLI::Option* option) {
  Completion completion;
  std::string type = option->get_type_name();
  type = type.substr(0, type.find(':'));  // a check's description follows the name
  if (type.find('|') != std::string::npos) {
    size_t start = 0;
    for (size_t bar = type.find('|'); start <= type.size(); bar = type.find('|', start)) {
      completion.words.emplace_back(type.substr(start, bar - start), "");
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  } else if (type == "PATH") {
    completion.kind = Kind::kFiles;
  } else if (type == "DIR") {
    completion.kind = Kind::kDirectories;
  } else if (type == "AGENT") {
    completion.kind = Kind::kAgents;
  } else if (type == "URL") {
    completion.words = {{"http://127.0.0.1:9090/", "the default metrics port"}};
  } else if (type == "D") {
    for (const char* d : {"500ms", "5s", "10s", "30s", "1m", "5m", "1h"}) completion.words.emplace_back(d, "");
  } else if (type == "SECONDS") {
    for (const char* s : {"1", "2", "5", "10", "30"}) completion.words.emplace_back(s, "");
  }
  return completion;
}

// Every option valid at `app`: its own, then the global ones, each name once.
Completion OptionsAt(const CLI::App* app) {
  Completion completion;
  std::set<std::string> seen;
  for (const CLI::App* at = app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (!option->nonpositional() || option->get_group().empty()) continue;
      const std::string help = FirstLine(option->get_description());
      for (const auto& name : option->get_lnames()) {
        if (seen.insert("--" + name).second) completion.words.emplace_back("--" + name, help);
      }
      for (const auto& name : option->get_snames()) {
        if (seen.insert("-" + name).second) completion.words.emplace_back("-" + name, help);
      }
    }
  }
  return completion;
}

}  // namespace

const char* KindName(Completion::Kind kind) {
  switch (kind) {
    case Kind::kWords: return "words";
    case Kind::kFiles: return "files";
    case Kind::kDirectories: return "dirs";
    case Kind::kAgents: return "agents";
    case Kind::kDefault: return "default";
  }
  return "words";
}

Completion Complete(const CLI::App& root, const std::vector<std::string>& words) {
  const std::string current = words.empty() ? "" : words.back();
  const CLI::App* app = &root;
  size_t positionals = 0;  // positional arguments of `app` typed so far
  bool after_dashdash = false;
  std::string socket;
  const CLI::Option* awaiting = nullptr;  // an option whose value is the next word
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    const bool option_like = !after_dashdash && word.size() > 1 && word[0] == '-';
    if (awaiting != nullptr) {
      if (awaiting->check_lname("socket")) socket = word;
      awaiting = nullptr;
    } else if (option_like && word == "--") {
      after_dashdash = true;
    } else if (option_like) {
      const CLI::Option* option = FindOption(app, word);
      if (option == nullptr || !TakesValue(option)) continue;
      if (const auto equals = word.find('='); equals != std::string::npos) {
        if (option->check_lname("socket")) socket = word.substr(equals + 1);
      } else {
        awaiting = option;
      }
    } else if (const CLI::App* sub = positionals == 0 && !after_dashdash ? FindSubcommand(app, word) : nullptr) {
      app = sub;
    } else {
      ++positionals;
    }
  }
  Completion completion;
  if (awaiting != nullptr) {
    completion = ValuesOf(awaiting);
  } else if (!after_dashdash && !current.empty() && current[0] == '-') {
    completion = OptionsAt(app);
  } else {
    const auto subcommands = app->get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
    if (positionals == 0 && !subcommands.empty() && !after_dashdash) {
      for (const CLI::App* sub : subcommands) {
        completion.words.emplace_back(sub->get_name(), FirstLine(sub->get_description()));
      }
    } else {
      const auto arguments = app->get_options([](const CLI::Option* option) { return !option->nonpositional(); });
      // The argument this word fills; the last one takes every word after it (a command).
      const CLI::Option* argument =
          arguments.empty() ? nullptr : arguments[std::min(positionals, arguments.size() - 1)];
      if (argument != nullptr && argument->get_name(true) == "agent" && positionals < arguments.size()) {
        completion.kind = Kind::kAgents;
      } else if (argument != nullptr && argument->get_name(true) == "command") {
        completion.kind = Kind::kDefault;
      }
    }
  }
  completion.socket = socket;
  return completion;
}

}  // namespace sloth::ctl
