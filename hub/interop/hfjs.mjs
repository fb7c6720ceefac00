// The Hugging Face cache as huggingface.js (@huggingface/hub, the Hub's official JavaScript library) sees it and
// writes it, for HuggingFaceJsInteropTest. HFJS_MODULES names the node_modules folder that holds @huggingface/hub.
//   node hfjs.mjs scan CACHE_DIR                          -> JSON of scanCacheDir (a port of huggingface_hub's scan_cache_dir)
//   node hfjs.mjs download HUB_URL CACHE_DIR REPO FILE REV -> the path downloadFileToCacheDir returns
import { createRequire } from "node:module";

const require = createRequire(process.env.HFJS_MODULES.replace(/\/?$/, "/"));
const hub = require("@huggingface/hub");
const [command, ...args] = process.argv.slice(2);

if (command === "scan") {
  const info = await hub.scanCacheDir(args[0]);
  console.log(JSON.stringify({
    size: info.size,
    warnings: info.warnings.map((w) => String(w.message ?? w)),
    repos: info.repos.map((r) => ({
      id: r.id.name,
      type: r.id.type,
      size: r.size,
      revisions: r.revisions.map((v) => ({
        commit: v.commitOid,
        refs: v.refs,
        files: v.files.map((f) => ({ path: f.path, size: f.blob.size, blob: f.blob.path })),
      })),
    })),
  }));
} else if (command === "download") {
  const [hubUrl, cacheDir, repo, path, revision] = args;
  console.debug = () => {};
  console.log(await hub.downloadFileToCacheDir({ repo, path, revision, hubUrl, cacheDir }));
} else {
  console.error("usage: hfjs.mjs scan CACHE_DIR | download HUB_URL CACHE_DIR REPO FILE REVISION");
  process.exit(2);
}
