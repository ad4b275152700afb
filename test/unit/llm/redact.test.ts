// Secrets in host output never reach the LLM: every kind ATL promises to redact, plus user patterns.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createRedactor, REDACTED } from "../../../src/llm/redact";
import { plainText, type RichText } from "../../../src/shared/richText";

const redactor = createRedactor();
const clean = (text: string) => redactor.redact(text).text;

void describe("redaction", () => {
  void it("removes AWS access key ids and secret access keys", () => {
    const text = [
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      'export AWS_SECRET_ACCESS_KEY="je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"',
      "temporary ASIAY34FZKBOKMUTVV7A in env",
    ].join("\n");
    const out = clean(text);
    assert.doesNotMatch(out, /AKIAIOSFODNN7EXAMPLE|ASIAY34FZKBOKMUTVV7A/);
    assert.doesNotMatch(out, /wJalrXUtnFEMI|je7MtGbClwBF/);
    assert.match(out, /aws_access_key_id = \[REDACTED\]/);
  });

  void it("removes private key blocks, also when the output was cut inside one", () => {
    const block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBAkxH3ZbhD1bYr\n-----END OPENSSH PRIVATE KEY-----";
    const out = clean(`before\n${block}\nafter`);
    assert.doesNotMatch(out, /b3BlbnNzaC1rZXkt|QyNTUxOQ/);
    assert.match(out, /before/);
    assert.match(out, /after/);
    const cut = clean("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAz8...\nmore key material");
    assert.doesNotMatch(cut, /MIIEowIBAAKCAQEA|more key material/);
  });

  void it("removes bearer tokens, Authorization headers, URL passwords and JWTs", () => {
    const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    const text = [
      "curl -H 'Authorization: Bearer abc123def456ghi789' https://api",
      "Authorization: Basic dXNlcjpwYXNzd29yZA==",
      "DATABASE_URL=postgres://app:s3cr3tP4ss@db.internal:5432/app",
      `token cookie ${jwt}`,
    ].join("\n");
    const out = clean(text);
    for (const secret of ["abc123def456ghi789", "dXNlcjpwYXNzd29yZA", "s3cr3tP4ss", "SflKxwRJSMeKKF2QT4fw"]) {
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    }
    assert.match(out, /postgres:\/\/app:\[REDACTED\]@db\.internal/);
  });

  void it("removes generic password= / secret: pairs but keeps ordinary output", () => {
    const out = clean("mysql --password=hunter2 -u root\nclient_secret: abcdEFGH1234\nAPI_KEY='k-123'\nFailed password for root from 10.0.0.1 port 22");
    assert.doesNotMatch(out, /hunter2|abcdEFGH1234|k-123/);
    assert.match(out, /Failed password for root from 10\.0\.0\.1 port 22/);
  });

  void it("leaves ordinary diagnostics alone", () => {
    const text = " 03:12:45 up 12 days,  4:01,  2 users,  load average: 7.93, 6.10, 4.02\nFilesystem Size Used Avail Use% Mounted on\n/dev/nvme0n1p1 20G 19G 1.0G 95% /";
    assert.equal(clean(text), text);
    assert.equal(redactor.redact(text).count, 0);
  });

  void it("applies user patterns and reports invalid ones", () => {
    const custom = createRedactor(["acme-[0-9]{6}", "([unclosed", ""]);
    assert.deepEqual(custom.invalidPatterns, ["([unclosed"]);
    const result = custom.redact("customer acme-123456 called");
    assert.equal(result.text, `customer ${REDACTED} called`);
    assert.equal(result.count, 1);
  });

  void it("is idempotent", () => {
    const once = clean("password=abc AKIAIOSFODNN7EXAMPLE");
    assert.equal(clean(once), once);
    assert.equal(redactor.redact(once).count, 0);
  });

  void describe("formatted text (runs of plain text and code spans)", () => {
    void it("finds a secret split between a plain run and a code span, and keeps the runs around it", () => {
      const detail: RichText = ["the app logs in with password=", { code: "hunter2!x" }, " on every start"];
      assert.deepEqual(redactor.redactRich(detail).text, ["the app logs in with password=", { code: REDACTED }, " on every start"]);
      // Each run alone has nothing to redact: this is what redacting run by run missed.
      assert.deepEqual(detail.map((span) => (typeof span === "string" ? clean(span) : { code: clean(span.code) })), detail);

      const token = `ghp_${"a1B2c3D4e5".repeat(3)}abcdef`;
      const split: RichText = ["token ", { code: token.slice(0, 12) }, token.slice(12), " expired"];
      const out = redactor.redactRich(split);
      assert.equal(out.count, 1);
      assert.doesNotMatch(plainText(out.text), /a1B2c3D4e5/);
      assert.equal(plainText(out.text), "token [REDACTED] expired");

      const key: RichText = [{ code: "DB_SECRET" }, "=", { code: "s3cr3t-value" }, " in ", { code: "/etc/app.env" }];
      assert.deepEqual(redactor.redactRich(key).text, [{ code: "DB_SECRET" }, "=", { code: REDACTED }, " in ", { code: "/etc/app.env" }]);
    });

    void it("user patterns match across runs too", () => {
      const custom = createRedactor(["tenant-[0-9]{6}"]);
      // The marker takes the kind of the first character it replaces: here plain.
      assert.deepEqual(custom.redactRich(["customer tenant-", { code: "123456" }, " is slow"]).text, [`customer ${REDACTED} is slow`]);
    });

    void it("redacts the joined text exactly as plain redaction does, however it is split into runs", () => {
      const secretish = fc.constantFrom("password=hunter2", "api_key: abcDEF123456", `ghp_${"x".repeat(36)}`, "AKIAIOSFODNN7EXAMPLE", "Bearer abcdefgh12345678", "token='q w e'", "plain words ", "`", " ", "=");
      const text = fc.array(secretish, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(""));
      fc.assert(
        fc.property(text, fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), (whole, cuts, startWithCode) => {
          // Split the text at the cuts into alternating plain and code runs.
          const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
          const spans: RichText = [];
          let from = 0;
          [...points, whole.length].forEach((to, index) => {
            const piece = whole.slice(from, to);
            from = to;
            if (piece) {
              spans.push((index % 2 === 0) === startWithCode ? { code: piece } : piece);
            }
          });
          const rich = redactor.redactRich(spans);
          const flat = redactor.redact(whole);
          assert.equal(plainText(rich.text), flat.text);
          assert.equal(rich.count, flat.count);
        }),
      );
    });
  });
});
