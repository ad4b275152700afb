// The building blocks the rules stand on: options read the way getopt_long reads them (so a
// dangerous flag cannot hide in a cluster, an abbreviation or a value), and sensitive paths found
// however they are written.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentRefusal, findOption, optionValues, parseOptions, type OptionSpec } from "../../src/policy/options";
import { componentRegex } from "../../src/policy/glob";
import { SECRET_DIR_GLOBS, SECRET_FILE_GLOBS, SECRET_NAME_RULES, sensitivePath, sensitiveTree } from "../../src/policy/paths";

const names = (args: string[], spec: OptionSpec): string[] => parseOptions(args, spec).options.map((o) => `${o.name}${o.value === undefined ? "" : `=${o.value}`}`);

void describe("parseOptions", () => {
  const tail: OptionSpec = { shortValue: "cns", numericShort: true, longValue: ["lines", "bytes"], longOptional: ["follow"], longFlags: ["retry", "quiet", "verbose"] };

  void it("splits clusters and stops at a value-taking letter", () => {
    assert.deepEqual(names(["-qf"], tail), ["q", "f"]);
    assert.deepEqual(names(["-n5f"], tail), ["n=5f"]);
    assert.deepEqual(names(["-fn", "5"], tail), ["f", "n=5"]);
    assert.deepEqual(names(["-n", "-f"], tail), ["n=-f"]);
  });

  void it("resolves unambiguous abbreviations of long options and refuses ambiguous ones", () => {
    assert.deepEqual(names(["--fol"], tail), ["follow"]);
    assert.deepEqual(names(["--follow=name"], tail), ["follow=name"]);
    assert.deepEqual(names(["--li", "20"], tail), ["lines=20"]);
    assert.throws(() => parseOptions(["--re"], { longFlags: ["retry", "reverse"] }), ArgumentRefusal);
  });

  void it("a repeated option: findOption is the one the program obeys (the last), optionValues every one", () => {
    const parsed = parseOptions(["-n", "5", "--lines=100000", "-q"], tail);
    assert.equal(findOption(parsed, "n", "lines")?.value, "100000");
    assert.deepEqual(optionValues(parsed, "n", "lines"), ["5", "100000"]);
    assert.deepEqual(optionValues(parsed, "c", "bytes"), []);
    assert.equal(findOption(parsed, "c"), undefined);
  });

  void it("reads options after operands, and nothing after --", () => {
    const parsed = parseOptions(["/var/log/syslog", "-f", "--", "-n"], tail);
    assert.deepEqual(parsed.options.map((o) => o.name), ["f"]);
    assert.deepEqual(parsed.operands, ["/var/log/syslog", "-n"]);
  });

  void it("takes a peeked value only when it looks like one (journalctl -n 50 / -n -f)", () => {
    const spec: OptionSpec = { shortPeek: "n", longPeek: ["lines"] };
    assert.deepEqual(names(["-n", "50"], spec), ["n=50"]);
    assert.deepEqual(names(["-n", "-f"], spec), ["n", "f"]);
    assert.deepEqual(names(["--lines", "-f"], spec), ["lines", "f"]);
  });

  void it("refuses what a strict spec does not know, and values on flags", () => {
    const strict: OptionSpec = { shortFlags: "ab", longFlags: ["all"], strict: true };
    assert.throws(() => parseOptions(["-ac"], strict), /cannot verify option "-c"/);
    assert.throws(() => parseOptions(["--other"], strict), /cannot verify option "--other"/);
    assert.throws(() => parseOptions(["--all=yes"], strict), /takes no value/);
    assert.throws(() => parseOptions(["-n"], { shortValue: "n" }), /needs a value/);
  });
});

void describe("sensitive paths", () => {
  void it("finds secrets however the path is written", () => {
    for (const arg of ["/etc/shadow", "/etc//shadow", "/etc/./shadow", "/var/../etc/shadow", "etc/shadow", "/etc/shadow/", "--file=/etc/shadow", "-f/etc/shadow", "@/etc/shadow", "file:/etc/shadow", ".ssh/id_rsa", ".aws/credentials", ".bash_history", "/proc/self/environ", "/proc/1/task/1/environ", "/proc/1/root/etc/passwd", "/dev/sda", "/srv/app/.env"]) {
      assert.ok(sensitivePath(arg), arg);
    }
  });

  void it("leaves ordinary files, public keys and metadata views of devices alone", () => {
    for (const arg of ["/etc/passwd", "/var/log/syslog", "/root/.ssh/authorized_keys", "/root/.ssh/id_rsa.pub", "/proc/loadavg", "/proc/1/status", "/dev/null", "-n", "20", "history", "password"]) {
      assert.equal(sensitivePath(arg), null, arg);
    }
    assert.equal(sensitivePath("/dev/sda", { metadataOnly: true }), null);
  });

  void it("refuses recursive reads of secret trees and their ancestors", () => {
    for (const dir of ["/", "/etc", "/etc/", "/root", "/home/ubuntu", "/proc", "/var/lib", ".", "logs"]) {
      assert.ok(sensitiveTree(dir), dir);
    }
    for (const dir of ["/var/log", "/var/log/nginx", "/srv/app/logs", "/etc/nginx"]) {
      assert.equal(sensitiveTree(dir), null, dir);
    }
  });
});

void describe("secret-name exclusions for recursive readers", () => {
  // Names each rule calls secret, in several cases and spellings; every name rule has one at least.
  const secretNames = [
    "id_rsa", "id_ed25519", "ID_ECDSA", "id_rsa_backup", "ssh_host_rsa_key", "ssh_host_ed25519_key",
    "server.pem", "tls.KEY", "cert.p12", "store.pfx", "app.jks", "java.keystore", "db.kdbx", "putty.ppk", "sig.asc", "backup.gpg", "krb5.keytab",
    ".bash_history", ".zsh_history", ".python_history", "mysql_history", ".lesshst", ".viminfo", ".netrc", ".pgpass", ".my.cnf", ".mylogin.cnf",
    ".git-credentials", ".npmrc", ".pypirc", ".dockercfg", ".boto", ".s3cfg", ".vault-token", ".smbcredentials", "sasl_passwd", "sasl_passwd.db",
    ".env", ".ENV", ".env.production", ".env.local", "credentials", "Credentials", "credentials.json", "credentials.toml",
    "secret", "secrets", "Secrets.yaml", "app-secrets.json", "db_secret.txt", "chap-secrets", "service-account.json", "service-account-prod.json", "wp-config.php",
  ];

  void it("every name a rule calls secret is skipped by a file glob", () => {
    for (const name of secretNames) {
      assert.ok(sensitivePath(`/opt/app/${name}`), `${name} is not secret to the name rules`);
      assert.ok(
        SECRET_FILE_GLOBS.some((glob) => componentRegex(glob).test(name)),
        `${name}: no --exclude glob matches it`,
      );
    }
    for (const rule of SECRET_NAME_RULES) {
      assert.ok(
        secretNames.some((name) => rule.test(name)),
        `name rule ${rule.source} has no sample here: add one`,
      );
    }
  });

  void it("every secret folder name is skipped by a folder glob, in any case", () => {
    for (const name of [".ssh", ".aws", ".AWS", ".azure", ".gnupg", ".kube", ".docker", ".password-store", "gcloud", "kubernetes.io~secret"]) {
      assert.ok(SECRET_DIR_GLOBS.some((glob) => componentRegex(glob).test(name)), name);
    }
  });

  void it("ordinary names are not skipped", () => {
    for (const name of ["app.log", "error.log", "nginx.conf", "access.log.1", "syslog", "config.yaml", "id", "keys.txt", "environment", "known_hosts", "server.crt"]) {
      assert.ok(!SECRET_FILE_GLOBS.some((glob) => componentRegex(glob).test(name)), name);
    }
  });
});
