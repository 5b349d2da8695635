#include "ctl/command_line.h"

#include <iostream>

#include <fmt/format.h>

#include "build_info.h"
#include "ctl/client_config.h"
#include "ctl/clients/agent_client.h"
#include "ctl/completion.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

// "slothctl agent run": the deepest command the user reached, for the --help hint.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* current = &app;
  for (;;) {
    auto selected = current->get_subcommands();
    if (selected.empty()) break;
    current = selected.front();
    path += " " + current->get_name();
  }
  return path;
}

// `slothctl __complete WORDS...`: the kind of answer on the first line, then the words to offer,
// each with a tab and its description (see completion.h). Agent names come from the local agent.
int PrintCompletion(const CLI::App& app, const std::vector<std::string>& words) {
  Completion completion = Complete(app, words);
  if (completion.kind == Completion::Kind::kAgents) {
    completion.kind = Completion::Kind::kWords;
    completion.words = {{"local", "the local agent"}, {".", "the local agent"}};
    AgentClient client(ChooseSocketPath(completion.socket, Environment::FromProcess()), std::chrono::seconds(1));
    if (client.Connect(std::chrono::seconds(1))) {
      if (auto info = client.GetInfo(); info && !info->name().empty()) {
        completion.words.emplace_back(info->name(), "the agent on " + client.target());
      }
    }
  }
  std::cout << KindName(completion.kind) << '\n';
  for (const auto& [word, description] : completion.words) std::cout << word << '\t' << description << '\n';
  return std::cout.flush() ? kExitOk : kExitFailure;
}

}  // namespace

CommandLine::CommandLine()
    : app("Control a slothd agent: run tasks on it, inspect it, read its metrics.\n"
          "Text for people, --output json for scripts.",
          "slothctl") {
  app.fallthrough();  // global flags are accepted after the command too
  app.require_subcommand(1);
  app.footer(
      "Global options work before or after the command (see 'slothctl --help').\n"
      "Exit codes: 0 ok, 1 failed/unhealthy, 2 usage, 69 agent not found or unreachable;\n"
      "'agent run' exits with the task's code, 124 on timeout, 128+N on signal N, 130 on Ctrl-C,\n"
      "and when the agent refuses the task (nothing ran): 75 queue full, 77 user not allowed, 65 invalid;\n"
      "'run' exits 1 when a task of the workflow failed, 2 for an invalid workflow file.\n"
      "Emoji in text output only with a UTF-8 locale and without NO_COLOR or --no-color.");
}

CLI::App* CommandLine::AddCommand(CLI::App* parent, const std::string& name, const std::string& help, Action run) {
  CLI::App* command = parent->add_subcommand(name, help);
  command->callback([this, run = std::move(run)] { action = run; });
  return command;
}

void AddGlobalOptions(CommandLine& cli) {
  CLI::App& app = cli.app;
  GlobalFlags& flags = cli.flags;
  app.set_version_flag("--version",
                       fmt::format("slothctl {} (commit {}, {})", build::kVersion, build::kCommit, build::kCompiler));
  app.add_option("--socket", flags.socket,
                 "The local slothd's control socket (default: $SLOTH_SOCKET, else "
                 "/run/slothd/slothd.sock)")
      ->type_name("PATH");
  app.add_option("--endpoint", flags.endpoint,
                 "HTTP base or metrics URL of an agent, for metrics commands "
                 "(e.g. http://host:9464)")
      ->type_name("URL");
  app.add_option("--cacert", flags.cacert, "CA certificate (PEM) that signed an https --endpoint's certificate")
      ->type_name("PATH");
  app.add_option("--cert", flags.cert, "Client certificate (PEM) for an --endpoint that asks for one")
      ->type_name("PATH");
  app.add_option("--key", flags.key, "The client certificate's key (PEM)")->type_name("PATH");
  app.add_option("--user", flags.user,
                 "Basic-auth user for --endpoint; the password: $SLOTH_PASSWORD, --password-file, or a prompt")
      ->type_name("NAME");
  app.add_option("--password-file", flags.password_file, "File whose first line is the --user's password")
      ->type_name("PATH");
  app.add_option("--config", flags.config,
                 "slothctl.toml (default: ~/.config/sloth/slothctl.toml if there, then /etc/sloth/slothctl.toml)")
      ->type_name("PATH");
  app.add_option("--output,-o", flags.output, "Output format")
      ->type_name("text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", flags.timeout,
                 "Deadline of each call to the agent (500ms, 10s, 1m); not the task's timeout")
      ->type_name("D")
      ->capture_default_str();
  app.add_flag("--no-color", flags.no_color, "Plain ASCII output (as NO_COLOR=1)");
  app.add_option(
         "--master", flags.master,
         "The master, for agents other than the local one (default: $SLOTH_MASTER, else slothctl.toml's [master])")
      ->type_name("HOST:PORT");
  app.add_option("--master-cacert", flags.master_cacert, "CA certificate (PEM) of the master's (default: system roots)")
      ->type_name("FILE");
  app.add_option("--master-cert", flags.master_cert, "Your client certificate (PEM) for the master")->type_name("FILE");
  app.add_option("--master-key", flags.master_key, "Its private key (PEM)")->type_name("FILE");
  app.add_option("--master-token-file", flags.master_token_file,
                 "File holding your bearer token for the master, instead of a certificate (or $SLOTH_TOKEN)")
      ->type_name("FILE");
  app.add_flag("--master-insecure", flags.master_insecure,
               "Plaintext to a master that runs with [master] insecure = true");
  app.add_option("--via", flags.via, "Reach the local agent over its control socket (gRPC) or the system bus (D-Bus)")
      ->type_name("socket|dbus")
      ->check(CLI::IsMember({"socket", "dbus"}))
      ->default_str("socket");
}

int RunCommandLine(CommandLine& cli, int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "__complete") {
    return PrintCompletion(cli.app, std::vector<std::string>(argv + 2, argv + argc));
  }
  try {
    cli.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return cli.app.exit(e);
    std::cerr << "slothctl: " << e.what() << " (see '" << CommandPath(cli.app) << " --help')" << std::endl;
    return kExitUsage;
  }
  try {
    LoadClientConfig(&cli.flags);
    const Context context = MakeContext(cli.flags, Environment::FromProcess());
    return cli.action(context);
  } catch (const CtlError& e) {
    std::cerr << "slothctl: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "slothctl: " << e.what() << std::endl;
    return kExitFailure;
  }
}

}  // namespace sloth::ctl
