// The host inventory as users write it (atl.hosts, --hosts FILE): valid entries kept, each mistake
// reported with the entry and the field, one bad entry never hiding the others.
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { describe, it } from "node:test";
import { parseHostsInventory } from "../../../src/hosts/inventory";

const FP = "SHA256:pcFsr97XSRAza+e5H4qcCRspJGxC33vy6HnMBEd9r0s";
const agent = { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "agent", url: "https://10.0.1.5:9917", keyId: "ops" };
const ssh = { id: "prod-db-01", name: "prod-db-01", transport: "ssh", host: "10.0.2.7", port: 2222, username: "ec2-user", privateKeyFile: "/keys/db", hostKeySha256: FP };

void describe("parseHostsInventory", () => {
  void it("accepts the two shapes from ARCHITECTURE.md and fills defaults (name = id, port 22)", () => {
    const { hosts, errors } = parseHostsInventory([agent, ssh, { id: "web-2", transport: "ssh", host: "web-2.internal", username: "admin", hostKeySha256: FP }]);
    assert.deepEqual(errors, []);
    assert.equal(hosts.length, 3);
    assert.deepEqual(hosts[0], agent);
    assert.deepEqual(hosts[1], ssh);
    assert.equal(hosts[2]?.name, "web-2");
    assert.equal(hosts[2]?.transport === "ssh" ? hosts[2].port : null, 22);
  });

  void it("names the entry and the field of every mistake, and keeps the valid entries", () => {
    const { hosts, errors } = parseHostsInventory([
      agent,
      { ...ssh, id: "db-2", hostKeySha256: undefined },
      { ...agent, id: "bad-url", url: "ftp://10.0.1.5" },
      { ...agent, id: "with-path", url: "https://10.0.1.5:9917/api" },
      { ...ssh, id: "bad-fp", hostKeySha256: "MD5:aa:bb" },
      { ...ssh, id: "bad-port", port: 70000 },
      { ...agent, id: "no-key", keyId: undefined },
      { id: "x", transport: "telnet" },
      "prod-web-01",
      { ...agent, id: "has space" },
    ]);
    assert.deepEqual(hosts.map((h) => h.id), ["i-0a1b2c3d4e5f67890"]);
    const find = (needle: string): string | undefined => errors.find((e) => e.includes(needle));
    assert.match(find('"db-2"') ?? "", /hosts\[1\] "db-2": hostKeySha256: is required: pin the host key: on the host run `ssh-keygen -lf/);
    assert.match(find('"bad-url"') ?? "", /url: must be http\(s\):\/\/host:port/);
    assert.match(find('"with-path"') ?? "", /url: must be http\(s\):\/\/host:port with no path/);
    assert.match(find('"bad-fp"') ?? "", /hostKeySha256: must look like SHA256:/);
    assert.match(find('"bad-port"') ?? "", /port: must be 1–65535/);
    assert.match(find('"no-key"') ?? "", /keyId: is required/);
    assert.match(find('hosts[7] "x"') ?? "", /transport: must be "agent" or "ssh", got "telnet"/);
    assert.match(find("hosts[8]") ?? "", /must be an object/);
    assert.match(find('"has space"') ?? "", /id: must be letters, digits/);
  });

  void it("reports duplicate ids (first entry wins) and aliases that point at two hosts", () => {
    const { hosts, errors } = parseHostsInventory([
      { ...agent, aliases: ["web-01", "10.0.1.5"] },
      { ...agent, url: "https://10.0.1.6:9917" },
      { ...ssh, aliases: ["web-01"] },
    ]);
    assert.deepEqual(hosts.map((h) => h.id), [agent.id, ssh.id]);
    assert.ok(errors.some((e) => /hosts\[1\] "i-0a1b2c3d4e5f67890": id: duplicate of hosts\[0\]; the first entry is used/.test(e)), errors.join("\n"));
    assert.ok(errors.some((e) => /host "prod-db-01": aliases: "web-01" already means host "i-0a1b2c3d4e5f67890"/.test(e)), errors.join("\n"));
  });

  void it("flags unknown (misspelled) fields without dropping the entry", () => {
    const { hosts, errors } = parseHostsInventory([{ ...ssh, hostkeySha256: FP }]);
    assert.equal(hosts.length, 1);
    assert.deepEqual(errors, ['hosts[0] "prod-db-01": hostkeySha256: unknown field for an SSH host (ignored); check the spelling.']);
  });

  void it("resolves ~ and, for the CLI, paths relative to the inventory file", () => {
    const { hosts } = parseHostsInventory([{ ...ssh, privateKeyFile: "~/.ssh/id_ed25519" }, { ...agent, secretFile: "secrets/web.key", caFile: "/etc/atl/ca.pem" }], { baseDir: "/etc/atl" });
    assert.equal(hosts[0]?.transport === "ssh" ? hosts[0].privateKeyFile : null, `${homedir()}/.ssh/id_ed25519`);
    assert.equal(hosts[1]?.transport === "agent" ? hosts[1].secretFile : null, "/etc/atl/secrets/web.key");
    assert.equal(hosts[1]?.transport === "agent" ? hosts[1].caFile : null, "/etc/atl/ca.pem");
  });

  void it("treats a missing setting as empty and anything but an array as one clear error", () => {
    assert.deepEqual(parseHostsInventory(undefined), { hosts: [], errors: [] });
    assert.deepEqual(parseHostsInventory(null), { hosts: [], errors: [] });
    assert.deepEqual(parseHostsInventory({ hosts: [] }).errors, ["The host inventory must be a JSON array of host entries, got an object."]);
    assert.deepEqual(parseHostsInventory("x").errors, ['The host inventory must be a JSON array of host entries, got "x".']);
  });
});
