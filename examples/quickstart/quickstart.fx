// quickstart: read a web service's access log, parse each line, enrich it
// with the owning team, classify it, and render the notable ones.
module quickstart;
include "quickstart_app.h";

extern type Teams "struct team_directory";

struct LogEntry {
    time: str;
    level: str;
    service: str;
    method: str;
    path: str;
    status: u16;
    latency_ms: u32;
    team: str;
    slow: bool;
}

stage parse(str) -> LogEntry = parse_line;
stage enrich(LogEntry) -> LogEntry = add_team with Teams;
stage classify(LogEntry) -> LogEntry = mark_slow;
stage render(LogEntry) -> str = render_entry;

// One line in, one classified entry out.
pipeline analyze(str) -> LogEntry = parse |> enrich |> classify;

// A human-readable line for an entry.
pipeline describe(LogEntry) -> str = render;
