// One way to write a moment, a count and a host for people, in English and Korean.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDate, formatDateTime, hostLabel, pluralForm } from "../../../src/shared/format";

void describe("formatting for people", () => {
  void it("writes a moment with its date, time to the second and time zone, localized", () => {
    assert.equal(formatDateTime("2026-11-25T03:12:45.148Z", "en", "UTC"), "Nov 25, 2026, 3:12:45 AM UTC");
    // (Whether the hour reads 오후 or PM depends on the ICU data of the Node version.)
    assert.match(formatDateTime("2026-11-25T03:12:45.148Z", "ko", "Asia/Seoul"), /^2026\. 11\. 25\. \S+ 12시 12분 45초 GMT\+9$/);
    assert.equal(formatDate("2026-11-25T03:12:45.148Z", "en"), "Nov 25, 2026");
    assert.equal(formatDateTime("not a date", "en"), "not a date");
    assert.match(formatDateTime("2026-11-25T03:12:45Z", "xx-invalid-locale-!!", "UTC"), /2026/);
  });

  void it("chooses plural forms by the language's rules", () => {
    const forms = { one: "You approved {0} command.", other: "You approved {0} commands." };
    assert.equal(pluralForm(1, "en", forms), forms.one);
    assert.equal(pluralForm(6, "en", forms), forms.other);
    assert.equal(pluralForm(0, "en", forms), forms.other);
    // Korean nouns do not inflect for number: one form for every count.
    assert.equal(pluralForm(1, "ko", { one: "A", other: "B" }), "B");
  });

  void it("names a host once when its id is its name", () => {
    assert.equal(hostLabel({ id: "demo-host", name: "demo-host" }), "demo-host");
    assert.equal(hostLabel({ id: "i-0a1b2c3d4e5f67890", name: "prod-web-01" }), "prod-web-01 (i-0a1b2c3d4e5f67890)");
  });
});
