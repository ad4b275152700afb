// Rules for the package managers' query forms: what is installed, which version, which files.
// Nothing that installs, runs maintainer scripts, loads other configuration (-o, -c) or evaluates
// macros (rpm --eval, --pipe).

import { findOption, optionValues, options, type ParsedArgs } from "../options";
import { deny, printer, subcommand, type ProgramRule } from "./rule";

const DPKG_QUERIES = ["l", "s", "L", "S", "W", "list", "status", "listfiles", "search", "show", "get-selections", "print-architecture", "print-foreign-architectures"];

function checkDpkg(program: string) {
  return (_args: readonly string[], parsed: ParsedArgs): void => {
    if (!parsed.options.some((o) => DPKG_QUERIES.includes(o.name))) {
      deny("operand", `${program} is allowed only to query installed packages (${program} -l NAME, -s, -L, -S)`);
    }
  };
}

/** rpm query formats: tags (`%{NAME}`, `%-20{VERSION}`, `%{INSTALLTIME:date}`), arrays and conditionals; no macros. */
const RPM_DIRECTIVE = /^%(-?[0-9]*\{[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?\}|\|[A-Za-z0-9_]+\?)/;
/**
 * The tag formatters that only render a value. Not `:expand`, which expands the value as macros
 * (`%(…)` runs a shell command, `%{lua:…}` Lua code), nor formatters rpm may add later.
 */
const RPM_FORMATS = new Set(["armor", "arraysize", "base64", "date", "day", "depflags", "deptype", "fflags", "fstate", "hex", "humaniec", "humansi", "json", "octal", "perms", "permissions", "pgpsig", "shescape", "string", "triggertype", "vflags", "xml"]);

function checkRpm(_args: readonly string[], parsed: ParsedArgs): void {
  if (!findOption(parsed, "q", "query")) {
    deny("operand", "rpm is allowed only to query (rpm -qa, rpm -qi NAME)");
  }
  // rpm joins repeated --queryformat values: every one is checked.
  const format = optionValues(parsed, "qf", "queryformat").join("").replace(/%%/g, "");
  for (let at = format.indexOf("%"); at >= 0; at = format.indexOf("%", at + 1)) {
    if (!RPM_DIRECTIVE.test(format.slice(at))) {
      deny("option:--queryformat", "rpm --queryformat: only %{TAG} and %{TAG:format} (no macros or Lua)");
    }
  }
  for (const [, formatter] of format.matchAll(/\{[A-Za-z0-9_]+:([A-Za-z0-9_]+)\}/g)) {
    if (!RPM_FORMATS.has(formatter.toLowerCase())) {
      deny("option:--queryformat", `rpm --queryformat :${formatter}: ${formatter.toLowerCase() === "expand" ? "expands the value as macros, which can run commands" : "not a known value formatter"} (use :date, :hex, :perms, :shescape …)`);
    }
  }
}

export const PACKAGE_PROGRAMS: Record<string, ProgramRule> = {
  apt: printer("package status (query only)", "-a|--all-versions -q|--quiet --installed --upgradable --upgradeable --manual-installed --full", {
    check: (_args, parsed) => void subcommand("apt", ["list", "show", "policy"], parsed),
    note: "apt list, show and policy; no -o or -c (other configuration, hooks).",
  }),
  "apt-cache": printer("package status (query only)", "-n|--names-only -f|--full -i|--important -q|--quiet --installed --recurse", {
    check: (_args, parsed) => void subcommand("apt-cache", ["policy", "show", "showpkg", "search", "depends", "rdepends", "madison", "stats", "pkgnames", "showsrc"], parsed),
  }),
  dpkg: printer("package status (query only)", "-l|--list -s|--status -L|--listfiles -S|--search -p|--print-avail -W|--show -f|--showformat= --get-selections --print-architecture --print-foreign-architectures --no-pager", { check: checkDpkg("dpkg") }),
  "dpkg-query": printer("package status (query only)", "-l|--list -s|--status -L|--listfiles -S|--search -p|--print-avail -W|--show -f|--showformat= --no-pager", { check: checkDpkg("dpkg-query") }),
  rpm: printer(
    "package status (query only)",
    options("-q|--query -a|--all -i|--info -l|--list -d|--docfiles -c|--configfiles -s|--state -R|--requires --provides --last --changelog --scripts --triggers --triggerscripts -f|--file --dump --conflicts --obsoletes --nosignature --nodigest --qf|--queryformat= --whatprovides --whatrequires --whatrecommends --whatsuggests -v|--verbose --quiet", {
      denied: { eval: "rpm --eval evaluates macros (which run programs)", E: "rpm -E evaluates macros (which run programs)", pipe: "rpm --pipe runs a command", define: "rpm --define defines macros", D: "rpm -D defines macros", macros: "rpm --macros loads macro files", rcfile: "rpm --rcfile loads another configuration", dbpath: "rpm --dbpath reads another database", root: "rpm --root uses another root" },
    }),
    { check: checkRpm, note: "Query mode only; no --eval, --pipe, --define, --macros, --rcfile; --queryformat with tags only." },
  ),
};
