#pragma once
// Shell completion from the command table itself: the bash and zsh scripts ask
// `slothctl __complete WORDS...`, and the answer is read from the same CLI11 tree that parses the
// command line, so a new command, flag or value list completes without touching the scripts.
// Pure: the tree and the words in, what to offer out.
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace sloth::ctl {

struct Completion {
  // What the shell should offer: these words, file names, directory names, agent names (the
  // local agent's, which the caller looks up), or its default (a command line to run).
  enum class Kind { kWords, kFiles, kDirectories, kAgents, kDefault };
  Kind kind = Kind::kWords;
  std::vector<std::pair<std::string, std::string>> words;  // word, one-line description
  std::string socket;                                      // --socket as typed, for kAgents
};

// `words`: what was typed after "slothctl", up to the word being completed (the last, maybe "").
Completion Complete(const CLI::App& root, const std::vector<std::string>& words);

// "words", "files", "dirs", "agents", "default": the first line of the answer.
const char* KindName(Completion::Kind kind);

}  // namespace sloth::ctl
