// The typed settings reader inside the extension host: wrong values are reported naming the setting
// and field (and treated as unset), good host entries survive a bad neighbour, and the LLM settings
// say what is missing instead of failing later.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import type { AtlError } from "../../../src/shared/errors";
import type { AtlApi } from "../../../src/extension";
import { atlApi, eventually, setSettings } from "./alarmsSupport";

suite("Settings: typed reader and validation", function () {
  this.timeout(120_000);
  let api: AtlApi;

  suiteSetup(async () => {
    api = await atlApi();
  });

  suiteTeardown(async () => {
    await setSettings(api, { hosts: undefined, "sqs.queueUrl": undefined, "sqs.region": undefined, "llm.provider": undefined, "llm.baseUrl": undefined, "report.language": undefined });
    await api.services.secrets.delete("atl.llm.apiKey");
  });

  test("a bad atl.hosts entry is reported by index, id and field; the good entries are kept", async () => {
    await setSettings(api, {
      hosts: [
        { id: "web-1", name: "web 1", transport: "agent", url: "ftp://10.0.0.1", keyId: "k" },
        { id: "web-2", name: "web 2", transport: "agent", url: "http://127.0.0.1:9917", keyId: "k" },
      ],
    });
    const settings = await eventually(() => (api.services.settings.current.hosts.length === 1 ? api.services.settings.current : undefined), 30_000, "the hosts re-read");
    assert.deepEqual(
      settings.hosts.map((h) => h.id),
      ["web-2"],
    );
    const problem = settings.problems.find((p) => p.setting === "atl.hosts");
    assert.ok(problem, JSON.stringify(settings.problems));
    assert.match(problem.message, /^atl\.hosts\[0\] "web-1": url: /);
    // The Hosts view and the diagnosis features see the same inventory.
    assert.deepEqual(
      api.services.hosts.hosts.map((h) => h.id),
      ["web-2"],
    );
  });

  test("a queue URL that is not one is reported, and polling stays off", async () => {
    await setSettings(api, { "sqs.queueUrl": "https://example.com/not-a-queue" });
    const settings = await eventually(() => (api.services.settings.current.problems.some((p) => p.setting === "atl.sqs.queueUrl") ? api.services.settings.current : undefined));
    assert.equal(settings.sqs.queueUrl, null);
    await eventually(() => api.polling.state.kind === "unconfigured", 30_000, "polling unconfigured");
    assert.equal(api.statusBar.view?.command, "atl.configureSqs");
    assert.equal(api.statusBar.view?.severity, "muted");
  });

  test("the region comes from the queue URL unless atl.sqs.region says otherwise", async () => {
    await setSettings(api, { "sqs.queueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/atl-alarms" });
    await eventually(() => api.services.settings.current.sqs.region === "eu-west-1", 30_000, "region from the URL");
    await setSettings(api, { "sqs.region": "eu-central-1" });
    await eventually(() => api.services.settings.current.sqs.region === "eu-central-1", 30_000, "explicit region");
    await setSettings(api, { "sqs.queueUrl": undefined, "sqs.region": undefined });
  });

  test("LLM settings: none means runbooks; a provider without what it needs says what to do", async () => {
    await setSettings(api, { "llm.provider": undefined });
    assert.equal(api.services.settings.llmSettings(undefined), null);
    await setSettings(api, { "llm.provider": "openai" });
    await eventually(() => api.services.settings.current.llm.provider === "openai");
    assert.throws(
      () => api.services.settings.llmSettings(undefined),
      // The extension's own AtlError class (another bundle): checked by shape.
      (error: unknown) => (error as AtlError).code === "llm-config" && /Set LLM API key/.test((error as AtlError).userMessage),
    );
    await api.services.secrets.set("atl.llm.apiKey", "sk-test-123");
    const llm = api.services.settings.llmSettings(await api.services.secrets.llmApiKey());
    assert.equal(llm?.provider, "openai");
    assert.equal(llm?.apiKey, "sk-test-123");
    await setSettings(api, { "llm.provider": "openai-compatible" });
    await eventually(() => api.services.settings.current.llm.provider === "openai-compatible");
    assert.throws(() => api.services.settings.llmSettings(undefined), /atl\.llm\.baseUrl is empty/);
    await setSettings(api, { "llm.baseUrl": "http://127.0.0.1:11434/v1" });
    await eventually(() => api.services.settings.current.llm.baseUrl !== null);
    assert.equal(api.services.settings.llmSettings(undefined)?.baseUrl, "http://127.0.0.1:11434/v1");
  });

  test("the report language follows atl.report.language", async () => {
    await setSettings(api, { "report.language": "ko" });
    await eventually(() => api.services.settings.diagnosisSettings().language === "ko", 30_000, "ko");
    await setSettings(api, { "report.language": "en" });
    await eventually(() => api.services.settings.diagnosisSettings().language === "en", 30_000, "en");
  });
});
