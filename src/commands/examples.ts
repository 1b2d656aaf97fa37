// Two or three examples at the end of every command's --help, as gh's help shows them: the commands
// people type most, each with a short comment. Keyed by the command's path; a test checks every command has some.
import type { Command } from 'commander';

const EXAMPLES: Record<string, readonly string[]> = {
  login: [
    'pinsync login                                  # opens the consent page, keeps the tokens in the keychain',
    'pinsync login --no-browser                     # on a server: open the printed address yourself (ssh -L 8085:127.0.0.1:8085)',
    'pinsync login --port 9000 --redirect-uri http://localhost:9000/',
  ],
  logout: ['pinsync logout                                 # forget the tokens of this profile', 'pinsync logout --all --profile staging       # and the saved app id and secret'],
  status: ['pinsync status', 'pinsync status --json | jq .refreshExpiresAt'],
  accounts: ['pinsync accounts list', 'pinsync accounts use 549755885175'],
  'accounts list': ['pinsync accounts list                          # * marks the default', 'pinsync accounts list --json | jq -r ".[].id"'],
  'accounts use': ['pinsync accounts use 549755885175              # later commands need no --ad-account', 'pinsync accounts use                           # pick from a list on a terminal'],
  audiences: ['pinsync audiences list --name spring', 'pinsync audiences show "Spring buyers"', 'pinsync audiences create "Spring buyers" --from buyers.csv'],
  'audiences list': ['pinsync audiences list', 'pinsync audiences list --name spring --json'],
  'audiences show': ['pinsync audiences show "Spring buyers"         # with its customer list', 'pinsync audiences show 2542620000001 --json'],
  'audiences create': [
    'pinsync audiences create "Spring buyers" --from buyers.csv',
    'pinsync audiences create "Spring buyers" --list 3461700000001   # the audience of a list left pending',
    'pinsync audiences create "Spring lookalike" --actalike-of "Spring buyers" --country US --percentage 3',
  ],
  push: [
    'pinsync push users.csv --audience "Newsletter" --create',
    'tail -f events.ndjson | pinsync push - --audience "Live signups"',
    'pinsync push crm.csv --audience-column segment --create --json --notify "$SLACK_WEBHOOK_URL"',
  ],
  sync: [
    'pinsync sync users.csv --audience "Newsletter"            # the audience holds exactly this file',
    'pinsync sync users.csv --audience "Newsletter" --dry-run  # how many would be added and removed',
    'pinsync sync crm.csv --audience-column segment --ping https://hc-ping.com/UUID --metrics-file /var/lib/node_exporter/pinsync.prom',
  ],
  run: ['pinsync run jobs.yaml                          # every job, side by side', 'pinsync run jobs.yaml newsletter --dry-run', 'pinsync run jobs.yaml --json --report jobs-report.json'],
  runs: ['pinsync runs', 'pinsync runs show 42'],
  'runs show': ['pinsync runs show 42', 'pinsync runs show 42 --json | jq .notSyncedReasons'],
  doctor: ['pinsync doctor                                 # credentials, token expiry, scopes', 'pinsync doctor users.csv --audience "Newsletter" --create'],
  sandbox: [
    'pinsync sandbox --port 0 --ready-file /tmp/sandbox.env &',
    'pinsync sandbox --error-rate 0.05 --latency 300   # rehearse a bad day',
    'pinsync sandbox --daily-write-quota 300 --day-length 2m',
  ],
  completion: [
    'source <(pinsync completion bash)             # bash, this shell',
    'pinsync completion zsh > "${fpath[1]}/_pinsync"  # zsh, for good',
    'pinsync completion fish > ~/.config/fish/completions/pinsync.fish',
  ],
};

/** Appends "Examples:" to the help of every command that has some. */
export function addExamples(program: Command): void {
  for (const [path, command] of commandsByPath(program)) {
    const examples = EXAMPLES[path];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  }
}

/** Every sub-command by its path ("audiences create"). */
export function commandsByPath(command: Command, prefix = ''): Array<[string, Command]> {
  return command.commands.flatMap((sub): Array<[string, Command]> => {
    const path = `${prefix}${sub.name()}`;
    return [[path, sub], ...commandsByPath(sub, `${path} `)];
  });
}
