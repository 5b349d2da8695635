#pragma once
// The credentials for an --endpoint behind a web-config. The basic-auth password never comes from
// argv (where `ps` shows it): it is $SLOTH_PASSWORD, else the first line of --password-file,
// else typed at a prompt on the terminal (not echoed).
#include <functional>
#include <optional>
#include <string>

#include "ctl/clients/http_client.h"
#include "ctl/global_options.h"

namespace sloth::ctl {

// Asks for the password on the terminal; nullopt when there is none to ask on.
using PasswordPrompt = std::function<std::optional<std::string>(const std::string& question)>;

// Throws a usage CtlError when --user is set and no password can be had.
HttpCredentials CredentialsFor(const Context::Http& http, const PasswordPrompt& prompt);

// The prompt on /dev/tty, echo off for the answer.
std::optional<std::string> PromptOnTerminal(const std::string& question);

}  // namespace sloth::ctl
