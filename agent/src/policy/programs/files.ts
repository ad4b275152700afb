// Rules for programs that list, stat, search and print files, and the text filters of a pipeline.
// Their file operands are checked for secrets by the policy; here: no option that writes a file,
// runs a program, reads a list of file names the policy never sees, or follows forever.

import { own } from "../own";
import { FOLLOWS, findOption, options, type ParsedArgs } from "../options";
import { SECRET_DIR_GLOBS, SECRET_FILE_GLOBS, sensitiveTree } from "../paths";
import { AWK_OPTIONS, checkAwk } from "./awk";
import { checkSed, SED_OPTIONS } from "./sed";
import { anything, deny, grammar, lister, noOperands, printer, reader, type ArgvRewrite, type ProgramRule } from "./rule";

// ---- grep ----------------------------------------------------------------------------------

const GREP_OPTIONS = options(
  "-E|--extended-regexp -F|--fixed-strings -G|--basic-regexp -P|--perl-regexp -e|--regexp= -f|--file= -i|-y|--ignore-case --no-ignore-case -w|--word-regexp -x|--line-regexp -z|--null-data -s|--no-messages -v|--invert-match -V|--version --help -m|--max-count= -b|--byte-offset -n|--line-number --line-buffered -H|--with-filename -h|--no-filename --label= -o|--only-matching -q|--quiet|--silent --binary-files= -a|--text -I -d|--directories= -D|--devices= -r|--recursive -R|--dereference-recursive --include= --exclude= --exclude-from= --exclude-dir= -L|--files-without-match -l|--files-with-matches -c|--count -T|--initial-tab -Z|--null -B|--before-context= -A|--after-context= -C|--context= --group-separator= --no-group-separator --color=? --colour=? -U|--binary",
  { numericShort: true },
);

function grepFiles(parsed: ParsedArgs): string[] {
  const hasPattern = parsed.options.some((o) => o.name === "e" || o.name === "regexp" || o.name === "f" || o.name === "file");
  return hasPattern ? parsed.operands : parsed.operands.slice(1);
}

/** What the policy adds to a recursive grep and to a diff (built once: checks are a hot path). */
const GREP_EXCLUSIONS = [...SECRET_FILE_GLOBS.map((g) => `--exclude=${g}`), ...SECRET_DIR_GLOBS.map((g) => `--exclude-dir=${g}`)];
const DIFF_EXCLUSIONS = [...SECRET_FILE_GLOBS, ...SECRET_DIR_GLOBS].map((g) => `--exclude=${g}`);
const DIFF_RECURSIVE_EXCLUSIONS = ["--no-dereference", ...DIFF_EXCLUSIONS];

function grepRecursive(parsed: ParsedArgs): boolean {
  return parsed.options.some((o) => o.name === "r" || o.name === "R" || o.name === "recursive" || o.name === "dereference-recursive" || ((o.name === "d" || o.name === "directories") && o.value === "recurse"));
}

/**
 * Words added after the user's own options (before a `--`): exclusions come last, because grep
 * lets the last matching --include/--exclude win and a user's `--include=*.pem` must not re-admit
 * a key. grep reads options after operands (the agent's environment has no POSIXLY_CORRECT).
 * Words the command already has after its last --include are not added again (a command shown
 * as it ran reads back the same).
 */
function appendOptions(args: readonly string[], parsed: ParsedArgs, words: readonly string[]): ArgvRewrite | void {
  const end = parsed.endOfOptions ?? args.length;
  const lastInclude = args.slice(0, end).findLastIndex((a) => a.startsWith("--inc"));
  const present = new Set(args.slice(lastInclude + 1, end));
  const missing = words.filter((w) => !present.has(w));
  if (missing.length === 0) {
    return;
  }
  return { at: end, words: missing, summary: `skips files and folders with secret names (${missing.length} options added; the executed line shows them)` };
}

/**
 * A recursive grep may only search below directories that hold no secrets, and skips every file and
 * folder whose name is secret (`.env`, `id_rsa`, `credentials`, `*.pem`, `.ssh/` …): the policy adds
 * them as --exclude/--exclude-dir. -R is refused: it follows symbolic links inside the tree, whose
 * names say nothing of what they point to (-r skips them).
 */
function checkGrep(alwaysRecursive: boolean) {
  return (args: readonly string[], parsed: ParsedArgs): ArgvRewrite | void => {
    if (!alwaysRecursive && !grepRecursive(parsed)) {
      return;
    }
    if (parsed.options.some((o) => o.name === "R" || o.name === "dereference-recursive")) {
      deny("recursive", "grep -R follows symbolic links inside the tree, whose names say nothing of the file they point to; use -r, which skips them");
    }
    const files = grepFiles(parsed);
    if (files.length === 0) {
      deny("recursive", "recursive grep without a directory searches the working directory; name the directory (grep -r PATTERN /var/log)");
    }
    for (const file of files) {
      const hit = sensitiveTree(file);
      if (hit) {
        deny("recursive", `recursive grep of ${file} could read secrets: ${hit.why}`);
      }
    }
    return appendOptions(args, parsed, GREP_EXCLUSIONS);
  };
}

/**
 * zgrep is a shell script that passes file names through sed: before gzip 1.12 a name with a
 * newline wrote any file (CVE-2022-1271), and older distributions still ship it. A literal newline
 * is refused by the parser; this catches one in a name a path pattern found.
 */
function checkZgrep(args: readonly string[], parsed: ParsedArgs): void {
  if (args.some((a) => a.includes("\n"))) {
    deny("newline", "zgrep passes file names through sed: a name with a newline can write files (CVE-2022-1271); name the file without a pattern");
  }
  if (grepRecursive(parsed)) {
    // gzip's zgrep refuses -r; an older one would hand it to grep without the secret exclusions.
    deny("recursive", "zgrep does not search directory trees; name the files (zgrep PATTERN /var/log/app/*.gz)");
  }
}

function grepRule(what: string, alwaysRecursive: boolean, zgrep = false): ProgramRule {
  return reader(what, GREP_OPTIONS, {
    check: zgrep ? checkZgrep : checkGrep(alwaysRecursive),
    // Patterns are not files; pattern files (-f) and the files searched are.
    paths: (_args, parsed) => [...grepFiles(parsed), ...parsed.options.filter((o) => ["f", "file", "exclude-from"].includes(o.name)).map((o) => o.value ?? "")],
    note: zgrep
      ? "No recursive search (-r, -R, -d recurse: gzip's zgrep refuses it). No file name with a newline (CVE-2022-1271 in gzip before 1.12)."
      : `${alwaysRecursive ? "Only" : "Recursive search (-r, -d recurse) only"} below directories that hold no secrets (not /, /etc, /root, /home, /proc, /dev or relative paths), skipping files and folders with secret names (.env, id_*, credentials, *.pem, .ssh/ …: --exclude and --exclude-dir added after the command's own options); no -R (it follows symbolic links).`,
  });
}

// ---- find ----------------------------------------------------------------------------------

/** find's primaries and how many values each takes; anything else is refused. */
const FIND_PRIMARIES: Record<string, number> = {
  // options
  "-daystart": 0, "-follow": 0, "-nowarn": 0, "-warn": 0, "-regextype": 1, "-depth": 0, "-d": 0, "-maxdepth": 1, "-mindepth": 1, "-mount": 0, "-noleaf": 0, "-xdev": 0, "-ignore_readdir_race": 0, "-noignore_readdir_race": 0,
  // tests
  "-amin": 1, "-anewer": 1, "-atime": 1, "-cmin": 1, "-cnewer": 1, "-context": 1, "-ctime": 1, "-empty": 0, "-false": 0, "-fstype": 1, "-gid": 1, "-group": 1, "-ilname": 1, "-iname": 1, "-inum": 1, "-ipath": 1, "-iregex": 1, "-iwholename": 1, "-links": 1, "-lname": 1, "-mmin": 1, "-mtime": 1, "-name": 1, "-newer": 1, "-nouser": 0, "-nogroup": 0, "-path": 1, "-perm": 1, "-regex": 1, "-readable": 0, "-writable": 0, "-executable": 0, "-samefile": 1, "-size": 1, "-true": 0, "-type": 1, "-uid": 1, "-used": 1, "-user": 1, "-wholename": 1, "-xtype": 1,
  // actions that only print
  "-print": 0, "-print0": 0, "-printf": 1, "-ls": 0, "-prune": 0, "-quit": 0,
  // operators
  "(": 0, ")": 0, "!": 0, "-not": 0, "-a": 0, "-and": 0, "-o": 0, "-or": 0, ",": 0,
};

const FIND_REFUSED: Record<string, string> = {
  "-exec": "runs a command for each file",
  "-execdir": "runs a command for each file",
  "-ok": "runs a command for each file",
  "-okdir": "runs a command for each file",
  "-delete": "deletes files",
  "-fprint": "writes a file",
  "-fprint0": "writes a file",
  "-fprintf": "writes a file",
  "-fls": "writes a file",
  "-files0-from": "reads the starting points from a file the policy cannot see",
};

/** find tests whose value is a name pattern, not a file to open. */
const FIND_PATTERN_TESTS = new Set(["-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname"]);

/** `find [-H|-L|-P] [-D opts] [-Olevel] [starting points…] [expression]`: primaries from an allowlist. */
function checkFind(args: readonly string[]): void {
  let k = 0;
  for (; k < args.length && /^-([HLP]|O[0-9]|D)$/.test(args[k]); k++) {
    if (args[k] === "-D") {
      k++;
    }
  }
  // Starting points: everything before the first word that starts an expression.
  while (k < args.length && !(args[k].startsWith("-") || args[k] === "(" || args[k] === "!")) {
    k++;
  }
  for (; k < args.length; k++) {
    const word = args[k];
    const why = own(FIND_REFUSED, word);
    if (why) {
      deny(`option:${word}`, `find ${word} ${why}`);
    }
    const values = own(FIND_PRIMARIES, word) ?? (/^-newer[acmBt][acmBt]$/.test(word) ? 1 : undefined);
    if (values === undefined) {
      deny(`option:${word}`, `cannot verify find ${word.startsWith("-") ? "primary" : "word"} "${word}"`);
    }
    k += values;
  }
}

/** Every argument may name a file (starting points, -newer FILE) except name patterns. */
function findPaths(args: readonly string[]): string[] {
  return args.filter((_, k) => k === 0 || !FIND_PATTERN_TESTS.has(args[k - 1]));
}

// ---- others --------------------------------------------------------------------------------

/**
 * diff compares the files inside two directories (recursively with -r) and prints their contents:
 * not below trees that hold secrets, and skipping every file and folder whose name is secret (-x,
 * added by the policy; inert for two plain files). With -r symbolic links inside the trees are
 * compared as links (--no-dereference), since their names say nothing of what they point to.
 */
function checkDiff(args: readonly string[], parsed: ParsedArgs): ArgvRewrite | void {
  const files = [...parsed.operands, ...parsed.options.filter((o) => o.name === "from-file" || o.name === "to-file").map((o) => o.value ?? "")];
  for (const file of files) {
    const hit = sensitiveTree(file);
    if (hit) {
      deny("directory", `diff ${file} may compare the files of a directory that holds secrets (${hit.why}); compare named files outside it`);
    }
  }
  const recursive = parsed.options.some((o) => o.name === "r" || o.name === "recursive");
  return appendOptions(args, parsed, recursive ? DIFF_RECURSIVE_EXCLUSIONS : DIFF_EXCLUSIONS);
}

/** `tail -20f`, `tail +5f`: the obsolete forms of -f follow forever too (the option reader cannot read them). */
function checkTail(args: readonly string[]): void {
  const follows = args.find((a) => /^[-+][0-9]*[bcl]?f$/.test(a));
  if (follows !== undefined) {
    deny("option:-f", `tail ${follows} ${FOLLOWS}`);
  }
}

/** uniq's second file operand is where it writes its output. */
function checkUniq(_args: readonly string[], parsed: ParsedArgs): void {
  if (parsed.operands.length > 1) {
    deny("operand", "uniq with a second file name writes its output to that file");
  }
}

const AWK_NOTE = "Only -F and -v. Programs without system, getline, ENVIRON, PROCINFO, ARGV/ARGC, @ directives, a single | or a > after print.";

const SUMS = "-b|--binary --tag -t|--text -z|--zero --help --version";
const NO_SUM_CHECK = { c: "-c reads file names from a checksum file the policy cannot see", check: "--check reads file names from a checksum file the policy cannot see" };

export const FILE_PROGRAMS: Record<string, ProgramRule> = {
  df: lister("disk space", options("-a|--all -B|--block-size= -h|--human-readable -H|--si -i|--inodes -k -l|--local --no-sync --output=? -P|--portability --total -t|--type= -T|--print-type -x|--exclude-type= -v --help --version", { denied: { sync: "df --sync flushes file systems first" } })),
  du: lister(
    "disk usage",
    options("-0|--null -a|--all --apparent-size -B|--block-size= -b|--bytes -c|--total -D|-H|--dereference-args -d|--max-depth= --summarize -h|--human-readable --inodes -k -L|--dereference -l|--count-links -m -P|--no-dereference -S|--separate-dirs --si -s -t|--threshold= --time=? --time-style= -X|--exclude-from= --exclude= -x|--one-file-system --help --version", {
      denied: { "files0-from": "du --files0-from reads file names from a file the policy cannot see" },
    }),
  ),
  ls: lister(
    "directory listing",
    "-a|--all -A|--almost-all --author -b|--escape --block-size= -B|--ignore-backups -c -C --color=? -d|--directory -D|--dired -f -F|--classify=? --file-type --format= --full-time -g --group-directories-first -G|--no-group -h|--human-readable --si -H|--dereference-command-line --dereference-command-line-symlink-to-dir --hide= --hyperlink=? --indicator-style= -i|--inode -I|--ignore= -k|--kibibytes -l -L|--dereference -m -n|--numeric-uid-gid -N|--literal -o -p -q|--hide-control-chars --show-control-chars -Q|--quote-name --quoting-style= -r|--reverse -R|--recursive -s|--size -S --sort= --time= --time-style= -t -T|--tabsize= -u -U -v -w|--width= -x -X -Z|--context --zero -1 --help --version",
  ),
  stat: lister("file status", "-L|--dereference -f|--file-system --cached= -c|--format= --printf= -t|--terse --help --version"),
  readlink: lister("link target", "-f|--canonicalize -e|--canonicalize-existing -m|--canonicalize-missing -n|--no-newline -q|--quiet -s|--silent -v|--verbose -z|--zero --help --version"),
  realpath: lister("path resolution", "-e|--canonicalize-existing -m|--canonicalize-missing -L|--logical -P|--physical -q|--quiet --relative-to= --relative-base= -s|--strip|--no-symlinks -z|--zero --help --version"),
  basename: printer("path component", "-a|--multiple -s|--suffix= -z|--zero --help --version"),
  dirname: printer("path component", "-z|--zero --help --version"),
  lsblk: lister("block devices", "-A|--noempty -D|--discard -E|--dedup= -I|--include= -J|--json -M|--merge -O|--output-all -P|--pairs -S|--scsi -T|--tree=? -a|--all -b|--bytes -d|--nodeps -e|--exclude= -f|--fs -i|--ascii -l|--list -m|--perms -n|--noheadings -o|--output= -p|--paths -r|--raw -s|--inverse -t|--topology -w|--width= -x|--sort= -y|--shell -z|--zoned -h|--help -V|--version"),
  blkid: lister(
    "block device attributes",
    options("-d|--no-encoding -o|--output= -k|--list-filesystems -s|--match-tag= -t|--match-token= -l|--list-one -L|--label= -U|--uuid= -p|--probe -i|--info -H|--hint= -S|--size= -O|--offset= -u|--usages= -n|--match-types= -D|--no-part-details -h|--help -V|--version", {
      denied: { c: "blkid -c uses another cache file (and writes it)", "cache-file": "blkid --cache-file uses another cache file (and writes it)", g: "blkid -g rewrites its cache", "garbage-collect": "blkid --garbage-collect rewrites its cache" },
    }),
  ),
  findmnt: lister(
    "mounts",
    options("-s|--fstab -m|--mtab -k|--kernel -A|--all -a|--ascii -b|--bytes -C|--nocanonicalize -c|--canonicalize -D|--df -d|--direction= -e|--evaluate -F|--tab-file= -f|--first-only -i|--invert -J|--json -l|--list -N|--task= -n|--noheadings -O|--options= -o|--output= --output-all -P|--pairs --pseudo --shadowed -R|--submounts -r|--raw --real -S|--source= -T|--target= --tree -M|--mountpoint= -t|--types= -U|--uniq -u|--notruncate -v|--nofsroot -y|--shell -x|--verify --verbose --vfs-all -h|--help -V|--version", {
      denied: { p: `findmnt -p ${FOLLOWS}`, poll: `findmnt --poll ${FOLLOWS}`, w: `findmnt -w belongs to --poll, which ${FOLLOWS}`, timeout: `findmnt --timeout belongs to --poll, which ${FOLLOWS}` },
    }),
  ),
  find: grammar("file search", (args) => checkFind(args), { metadataOnly: true, paths: (args) => findPaths(args), note: "Primaries from an allowlist: no -exec*, -ok*, -delete, -fprint*, -fls, -files0-from." }),
  tree: lister(
    "directory tree",
    options("-a -d -l -f -x -L= -P= -I= --ignore-case --matchdirs --prune --noreport --charset= --filelimit= --timefmt= -q -N -Q -p -u -g -s -h --si --du -D --inodes --device -F -v -t -c -U -r --dirsfirst --filesfirst --sort= -i -A -S -n -C -J -X --help --version", {
      denied: { o: "tree -o writes a file", R: "tree -R writes an HTML file into every directory", H: "tree -H writes HTML (and files with -R)" },
    }),
  ),
  namei: lister("path permissions", "-l|--long -m|--modes -o|--owners -n|--nosymlinks -v|--vertical -x|--mountpoints -Z|--context -h|--help -V|--version"),
  which: printer("program lookup", "-a -s"),
  whereis: printer("program lookup", "-b -m -s -u -l -h|--help -V|--version", { note: "No -B/-M/-S (other search paths)." }),
  swapon: lister("swap areas (show only)", "--show=? -s|--summary --noheadings --raw --bytes -h|--help -V|--version", {
    check: (_args, parsed) => {
      if (parsed.operands.length > 0 || !findOption(parsed, "show", "s", "summary")) {
        deny("operand", "swapon is allowed only to show swap areas (swapon --show); otherwise it enables swap");
      }
    },
  }),
  mount: lister("mounts (list only)", "-l|--show-labels -t|--types= -v|--verbose -h|--help -V|--version", { check: noOperands("mount {} would mount something; without operands it lists mounts") }),
  fdisk: lister("partition tables (list only)", "-l|--list -x|--list-details -b|--sector-size= -o|--output= -u|--units=? -h|--help -V|--version", {
    check: (_args, parsed) => {
      if (!findOption(parsed, "l", "x", "list", "list-details")) {
        deny("interactive", "fdisk without -l edits partition tables; use fdisk -l");
      }
    },
  }),
  lsof: grammar("open files and sockets", (args) => checkLsof(args), { metadataOnly: true, note: "No -r/+r (repeats forever), -D (device cache file), -k, -m/+m (other kernel and mount files)." }),
  cat: reader("file contents", "-A|--show-all -b|--number-nonblank -e -E|--show-ends -n|--number -s|--squeeze-blank -t -T|--show-tabs -u -v|--show-nonprinting --help --version"),
  tac: reader("file contents", "-b|--before -r|--regex -s|--separator= --help --version"),
  head: reader("start of a file", options("-c|--bytes= -n|--lines= -q|--quiet|--silent -v|--verbose -z|--zero-terminated --help --version", { numericShort: true })),
  tail: reader(
    "end of a file",
    options("-c|--bytes= -n|--lines= -q|--quiet|--silent -v|--verbose -z|--zero-terminated --help --version --retry", {
      numericShort: true,
      denied: { f: `tail -f ${FOLLOWS}`, F: `tail -F ${FOLLOWS}`, follow: `tail --follow ${FOLLOWS}`, pid: "tail --pid belongs to --follow", s: "tail -s belongs to --follow", "sleep-interval": "tail --sleep-interval belongs to --follow", "max-unchanged-stats": "tail --max-unchanged-stats belongs to --follow" },
    }),
    { before: checkTail, note: "No -f, -F, --follow (or -20f)." },
  ),
  wc: reader("counts", options("-c|--bytes -m|--chars -l|--lines -L|--max-line-length -w|--words --total= --help --version", { denied: { "files0-from": "wc --files0-from reads file names from a file the policy cannot see" } })),
  cut: reader("columns", "-b|--bytes= -c|--characters= -d|--delimiter= -f|--fields= -n --complement -s|--only-delimited --output-delimiter= -z|--zero-terminated --help --version"),
  tr: printer("character translation", "-c|-C|--complement -d|--delete -s|--squeeze-repeats -t|--truncate-set1 --help --version"),
  column: reader("table formatting", "-t|--table -n|--table-name= -O|--table-order= -N|--table-columns= -l|--table-columns-limit= -E|--table-noextreme= -d|--table-noheadings -e|--table-header-repeat -H|--table-hide= -R|--table-right= -T|--table-truncate= -W|--table-wrap= -L|--keep-empty-lines -J|--json -r|--tree= -i|--tree-id= -p|--tree-parent= -c|--output-width= -o|--output-separator= -s|--separator= -x|--fillrows -h|--help -V|--version"),
  nl: reader("line numbers", "-b|--body-numbering= -d|--section-delimiter= -f|--footer-numbering= -h|--header-numbering= -i|--line-increment= -l|--join-blank-lines= -n|--number-format= -p|--no-renumber -s|--number-separator= -v|--starting-line-number= -w|--number-width= --help --version"),
  rev: reader("reversed lines", "-0|--zero -h|--help -V|--version"),
  fold: reader("line wrapping", "-b|--bytes -s|--spaces -w|--width= --help --version"),
  paste: reader("merged lines", "-d|--delimiters= -s|--serial -z|--zero-terminated --help --version"),
  expand: reader("tabs to spaces", "-i|--initial -t|--tabs= --help --version"),
  comm: reader("sorted comparison", "-1 -2 -3 --check-order --nocheck-order --output-delimiter= --total -z|--zero-terminated --help --version"),
  join: reader("joined lines", "-a= -e= -i|--ignore-case -j= -o= -t= -v= -1= -2= --check-order --nocheck-order --header -z|--zero-terminated --help --version"),
  diff: reader(
    "file comparison",
    options(
      "--normal -q|--brief -s|--report-identical-files -c -C= --context=? -u -U= --unified=? -e|--ed -n|--rcs -y|--side-by-side -W|--width= --left-column --suppress-common-lines -p|--show-c-function -F|--show-function-line= --label= -t|--expand-tabs -T|--initial-tab --tabsize= --suppress-blank-empty -r|--recursive --no-dereference -N|--new-file --unidirectional-new-file --ignore-file-name-case --no-ignore-file-name-case -x|--exclude= -X|--exclude-from= -S|--starting-file= --from-file= --to-file= -i|--ignore-case -E|--ignore-tab-expansion -Z|--ignore-trailing-space -b|--ignore-space-change -w|--ignore-all-space -B|--ignore-blank-lines -I|--ignore-matching-lines= -a|--text --strip-trailing-cr -D|--ifdef= --old-group-format= --new-group-format= --changed-group-format= --unchanged-group-format= --line-format= --old-line-format= --new-line-format= --unchanged-line-format= -d|--minimal --horizon-lines= --speed-large-files --color=? --palette= --help -v|--version",
      { numericShort: true, denied: { l: "diff -l runs pr to paginate", paginate: "diff --paginate runs pr to paginate" } },
    ),
    { check: checkDiff, note: "No -l (runs pr); directories only outside trees that hold secrets, skipping files and folders with secret names (-x added after the command's own options); with -r, symbolic links compared as links (--no-dereference added)." },
  ),
  cmp: reader("file comparison", "-b|--print-bytes -i|--ignore-initial= -l|--verbose -n|--bytes= -s|--quiet|--silent --help -v|--version"),
  md5sum: reader("checksums", options(SUMS, { denied: NO_SUM_CHECK })),
  sha1sum: reader("checksums", options(SUMS, { denied: NO_SUM_CHECK })),
  sha256sum: reader("checksums", options(SUMS, { denied: NO_SUM_CHECK })),
  sha512sum: reader("checksums", options(SUMS, { denied: NO_SUM_CHECK })),
  cksum: reader("checksums", options("-a|--algorithm= -l|--length= --tag --untagged --base64 --raw -z|--zero --debug --help --version", { denied: NO_SUM_CHECK })),
  strings: reader(
    "printable strings",
    options("-a|--all -d|--data -f|--print-file-name -n|--bytes= -t|--radix= -o -w|--include-all-whitespace -e|--encoding= --unicode= -U= -s|--output-separator= -h|--help -v|-V|--version", { numericShort: true }),
    { check: noResponseFiles("strings"), note: "No -T (object formats) and no @FILE (options read from a file)." },
  ),
  od: reader("octal dump", "-A|--address-radix= --endian= -j|--skip-bytes= -N|--read-bytes= -S= --strings=? -t|--format= -v|--output-duplicates -w=? --width=? --traditional -a -b -c -d -f -i -l -o -s -x --help --version"),
  hexdump: reader("hex dump", "-b|--one-byte-octal -c|--one-byte-char -C|--canonical -d|--two-bytes-decimal -o|--two-bytes-octal -x|--two-bytes-hex -L|--color=? -e|--format= -n|--length= -s|--skip= -v|--no-squeezing -h|--help -V|--version", {
    note: "No -f (format strings from a file).",
  }),
  zcat: reader("compressed file contents", "-f|--force -l|--list -q|--quiet -t|--test -v|--verbose -S|--suffix= -h|--help -V|--version", { note: "No -r (recursive)." }),
  bzcat: reader("compressed file contents", "-q|--quiet -v|--verbose -s|--small -t|--test -h|--help -V|--version -L|--license"),
  xzcat: reader("compressed file contents", "-q|--quiet -v|--verbose -T|--threads= -l|--list -t|--test -h|--help -V|--version", { note: "No --files/--files0 (file names from a file)." }),
  echo: anything("text", "Any arguments (echo prints them)."),
  printf: anything("text", "Any arguments (a format and values)."),
  true: anything("nothing", "Any arguments (ignored)."),
  false: anything("nothing", "Any arguments (ignored)."),
  seq: printer("numbers", options("-f|--format= -s|--separator= -w|--equal-width --help --version", { numericShort: true })),
  sort: reader(
    "sorting",
    options(
      "-b|--ignore-leading-blanks -d|--dictionary-order -f|--ignore-case -g|--general-numeric-sort -i|--ignore-nonprinting -M|--month-sort -h|--human-numeric-sort -n|--numeric-sort -R|--random-sort --random-source= -r|--reverse --sort= -V|--version-sort --batch-size= -c -C --check=? --debug -k|--key= -m|--merge -s|--stable -S|--buffer-size= -t|--field-separator= --parallel= -u|--unique -z|--zero-terminated --help --version",
      {
        denied: {
          o: "sort -o writes a file",
          output: "sort --output writes a file",
          "compress-program": "sort --compress-program runs a program",
          T: "sort -T writes temporary files into a directory",
          "temporary-directory": "sort --temporary-directory writes temporary files into a directory",
          "files0-from": "sort --files0-from reads file names from a file the policy cannot see",
        },
      },
    ),
    { note: "No -o, -T, --compress-program, --files0-from." },
  ),
  uniq: reader("duplicate lines", "-c|--count -d|--repeated -D --all-repeated=? -f|--skip-fields= --group=? -i|--ignore-case -s|--skip-chars= -u|--unique -z|--zero-terminated -w|--check-chars= --help --version", {
    check: checkUniq,
    note: "One file at most (a second one is written).",
  }),
  grep: grepRule("text search", false),
  egrep: grepRule("text search", false),
  fgrep: grepRule("text search", false),
  zgrep: grepRule("compressed text search", false, true),
  rgrep: grepRule("recursive text search", true),
  sed: reader("stream editing (print only)", SED_OPTIONS, {
    check: checkSed,
    note: "No -i, -f. Scripts made of addresses and p P = d D q Q l n N g G h H x z F s y { }; no e, w, W, r, R, s///e, s///w.",
  }),
  awk: reader("text processing", AWK_OPTIONS, { check: checkAwk, note: AWK_NOTE }),
  gawk: reader("text processing", AWK_OPTIONS, { check: checkAwk, note: AWK_NOTE }),
  mawk: reader("text processing", AWK_OPTIONS, { check: checkAwk, note: AWK_NOTE }),
  nawk: reader("text processing", AWK_OPTIONS, { check: checkAwk, note: AWK_NOTE }),
  file: reader(
    "file type",
    options("-b|--brief -c|--checking-printout -e|--exclude= --exclude-quiet= -F|--separator= -i|--mime --apple --extension --mime-type --mime-encoding -k|--keep-going -l|--list -L|--dereference -h|--no-dereference -n|--no-buffer -N|--no-pad -0|--print0 -p|--preserve-date -P|--parameter= -r|--raw -s|--special-files -d|--debug --help -v|--version", {
      denied: {
        C: "file -C writes a magic file",
        compile: "file --compile writes a magic file",
        m: "file -m loads a magic file, which can print any file's contents",
        "magic-file": "file --magic-file loads a magic file, which can print any file's contents",
        f: "file -f reads file names from a file the policy cannot see",
        "files-from": "file --files-from reads file names from a file the policy cannot see",
        S: "file -S turns its sandbox off",
        "no-sandbox": "file --no-sandbox turns its sandbox off",
        z: "file -z runs decompressors",
        Z: "file -Z runs decompressors",
        uncompress: "file --uncompress runs decompressors",
        "uncompress-noreport": "file --uncompress-noreport runs decompressors",
      },
    }),
  ),
};

/** binutils read options from `@FILE` arguments: a file the policy cannot see. */
function noResponseFiles(program: string) {
  return (args: readonly string[]): void => {
    const at = args.find((a) => a.startsWith("@"));
    if (at !== undefined) {
      deny("option:@file", `${program} ${at} reads options from a file the policy cannot see`);
    }
  };
}

/**
 * lsof's own option syntax (`-iTCP:80`, `+D DIR`, `-nP`, `+L1`): letters from an allowlist per
 * prefix; a letter that takes a value ends the cluster (its value is the rest or the next word).
 */
const LSOF = {
  "-": { flags: "abChlnNOPRtUvVwXEKM", values: "cdefFgiLopsSTuxzZ" },
  "+": { flags: "EMwX", values: "cdDefL" },
};
const LSOF_REFUSED: Record<string, string> = {
  r: `repeats ${FOLLOWS}`,
  D: "uses a device cache file (and may write it)",
  k: "reads another kernel name list file",
  m: "uses (or writes) a mount supplement file",
};

function checkLsof(args: readonly string[]): void {
  for (const arg of args) {
    if (arg === "--") {
      return;
    }
    const prefix = arg[0];
    if (arg.length < 2 || (prefix !== "-" && prefix !== "+")) {
      continue;
    }
    const allowed = LSOF[prefix];
    for (const letter of arg.slice(1)) {
      if (allowed.values.includes(letter)) {
        break;
      }
      if (!allowed.flags.includes(letter)) {
        const why = own(LSOF_REFUSED, letter);
        deny(`option:${prefix}${letter}`, why ? `lsof ${prefix}${letter} ${why}` : `cannot verify lsof option "${prefix}${letter}"`);
      }
    }
  }
}
