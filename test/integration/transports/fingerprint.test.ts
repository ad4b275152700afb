// Host key pinning arithmetic: ATL's fingerprint of a key blob is ssh-keygen's, and the comparison
// ignores only cosmetic differences (padding, prefix case), never a different key.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fingerprintsEqual, hostKeyFingerprint } from "../../../src/transports/ssh";
import { parseFingerprint } from "../../helpers/sshd";

void describe("host key fingerprints", () => {
  void it("match ssh-keygen -lf for ed25519, ecdsa and rsa keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "atl-fp-"));
    try {
      for (const type of ["ed25519", "ecdsa", "rsa"]) {
        const file = join(dir, type);
        const made = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", file]);
        assert.equal(made.status, 0, String(made.stderr));
        const expected = parseFingerprint(spawnSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], { encoding: "utf8" }).stdout);
        const blob = Buffer.from(readFileSync(`${file}.pub`, "utf8").split(" ")[1] ?? "", "base64");
        assert.equal(hostKeyFingerprint(blob), expected, type);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("compare equal despite padding or prefix case, and differ for any other key", () => {
    const fp = "SHA256:pcFsr97XSRAza+e5H4qcCRspJGxC33vy6HnMBEd9r0s";
    assert.ok(fingerprintsEqual(fp, fp));
    assert.ok(fingerprintsEqual(fp, `${fp}=`));
    assert.ok(fingerprintsEqual(fp.replace("SHA256", "sha256"), fp));
    assert.ok(!fingerprintsEqual(fp, "SHA256:qcFsr97XSRAza+e5H4qcCRspJGxC33vy6HnMBEd9r0s"));
    assert.ok(!fingerprintsEqual(fp, "SHA256:"), "an empty pin never matches");
    assert.ok(!fingerprintsEqual("", ""), "nothing pinned matches nothing");
    assert.ok(!fingerprintsEqual(fp, "MD5:aa:bb"));
  });
});
