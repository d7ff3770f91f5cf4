/**
 * The built-in renderer: `kustomize build` for the subset that standby overlays use, read from a
 * directory tree on disk. Unknown kustomization fields are an error that names the field (and
 * suggests kubectl), never silently ignored: a renderer that drops a field would show a wrong state.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { isDirectory, KUSTOMIZATION_FILES, kustomizationFileOf } from './files.js';
import { applyJsonPatch, parseJsonPatch } from './json-patch.js';
import { matchesSelector, parseSelector, type Resource, resourceId, type Selector } from './resource.js';
import { applyStrategicMerge } from './strategic-merge.js';
import {
  addAnnotations,
  addLabels,
  addNamePrefixSuffix,
  fixNameReferences,
  type ImageOverride,
  setImages,
  setNamespace,
  setReplicas,
  sortLegacy,
} from './transformers.js';
import {
  asKubeObject,
  isMap,
  type JsonMap,
  type KubeObject,
  KustomizeError,
  parseYamlDocuments,
  splitApiVersion,
} from './types.js';

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'components',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'replicas',
  'images',
]);

type KustomizationKind = 'Kustomization' | 'Component';

interface Kustomization {
  file: string;
  dir: string;
  kind: KustomizationKind;
  fields: JsonMap;
}

async function readKustomization(dir: string): Promise<Kustomization> {
  const file = await kustomizationFileOf(dir);
  if (!file) {
    throw new KustomizeError(
      `unable to find one of ${KUSTOMIZATION_FILES.map((n) => `'${n}'`).join(', ')} in directory '${dir}'`,
    );
  }
  const docs = parseYamlDocuments(await readFile(file, 'utf8'), file);
  const fields = docs[0] ?? {};
  if (!isMap(fields) || docs.length > 1)
    throw new KustomizeError('a kustomization must be one YAML mapping', file);
  for (const key of Object.keys(fields)) {
    if (!SUPPORTED_FIELDS.has(key)) {
      throw new KustomizeError(
        `field '${key}' is not supported by the built-in renderer (it models a subset of kustomize; render with kubectl instead)`,
        file,
      );
    }
  }
  const kind = fields.kind ?? 'Kustomization';
  if (kind !== 'Kustomization' && kind !== 'Component')
    throw new KustomizeError(`unknown kind ${String(kind)}`, file);
  return { file, dir, kind, fields };
}

/** kustomize's default load restriction: files a kustomization reads must be inside its directory. */
function fileInRoot(kustomization: Kustomization, entry: string): string {
  const path = resolve(kustomization.dir, entry);
  const rel = relative(kustomization.dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new KustomizeError(
      `security; file '${path}' is not in or below '${kustomization.dir}' (load restrictions: root only)`,
      kustomization.file,
    );
  }
  return path;
}

function stringList(value: unknown, field: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new KustomizeError(`${field} must be a list of strings`, file);
  }
  return value;
}

function isRemote(entry: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('git@') || entry.startsWith('github.com/')
  );
}

function expandLists(docs: unknown[], file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (isMap(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      out.push(...expandLists(doc.items, file));
    } else {
      out.push(asKubeObject(doc, file));
    }
  }
  return out;
}

function addResource(resources: Resource[], resource: Resource, file: string): void {
  const id = resourceId(resource.object);
  if (resources.some((r) => resourceId(r.object) === id)) {
    throw new KustomizeError(`may not add resource with an already registered id: ${id}`, file);
  }
  resources.push(resource);
}

async function accumulateResources(
  kustomization: Kustomization,
  resources: Resource[],
  stack: string[],
): Promise<void> {
  for (const entry of stringList(kustomization.fields.resources, 'resources', kustomization.file)) {
    if (isRemote(entry)) {
      throw new KustomizeError(
        `remote resource ${entry} is not supported by the built-in renderer`,
        kustomization.file,
      );
    }
    const path = resolve(kustomization.dir, entry);
    if (await isDirectory(path)) {
      // Resources keep their rename history, for targets and references further up.
      for (const resource of await build(path, 'Kustomization', stack, [])) {
        addResource(resources, resource, kustomization.file);
      }
    } else {
      const file = fileInRoot(kustomization, entry);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new KustomizeError(
          `accumulating resources: ${entry}: no such file or directory`,
          kustomization.file,
          {
            cause: error,
          },
        );
      }
      for (const object of expandLists(parseYamlDocuments(text, file), file)) {
        addResource(resources, { object, previousNames: [] }, file);
      }
    }
  }
}

// --- patches ------------------------------------------------------------------------------------

interface PatchEntry {
  /** Parsed documents of the patch: one list of operations (JSON 6902) or one or more maps (SMP). */
  docs: unknown[];
  source: string;
  target?: Selector;
}

async function loadPatchDocs(
  kustomization: Kustomization,
  entry: JsonMap,
  what: string,
): Promise<PatchEntry> {
  const { file } = kustomization;
  const hasPath = typeof entry.path === 'string';
  const hasInline = typeof entry.patch === 'string';
  if (hasPath === hasInline) throw new KustomizeError(`${what}: give exactly one of path or patch`, file);
  let text: string;
  let source: string;
  if (hasPath) {
    source = fileInRoot(kustomization, entry.path as string);
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new KustomizeError(`${what}: cannot read ${String(entry.path)}`, file, { cause: error });
    }
  } else {
    text = entry.patch as string;
    source = `${file} (inline patch)`;
  }
  if (entry.options !== undefined) throw new KustomizeError(`${what}: options are not supported`, file);
  return {
    docs: parseYamlDocuments(text, source),
    source,
    target: entry.target === undefined ? undefined : parseSelector(entry.target, file),
  };
}

function isJsonPatch(docs: unknown[]): boolean {
  return docs.length === 1 && Array.isArray(docs[0]);
}

/** The resources a strategic-merge patch without a target applies to: same kind and name. */
function smpSelfTargets(resources: Resource[], patch: JsonMap, source: string): Resource[] {
  const metadata = isMap(patch.metadata) ? patch.metadata : {};
  if (typeof patch.kind !== 'string' || typeof metadata.name !== 'string') {
    throw new KustomizeError('a strategic-merge patch without target needs kind and metadata.name', source);
  }
  const group = typeof patch.apiVersion === 'string' ? splitApiVersion(patch.apiVersion).group : undefined;
  const matches = resources.filter(
    (r) =>
      r.object.kind === patch.kind &&
      (group === undefined || splitApiVersion(r.object.apiVersion).group === group) &&
      (typeof metadata.namespace !== 'string' || r.object.metadata.namespace === metadata.namespace) &&
      [...r.previousNames, r.object.metadata.name].includes(metadata.name as string),
  );
  if (matches.length !== 1) {
    throw new KustomizeError(
      `failed to find unique target for patch ${patch.kind} ${metadata.name as string} (${matches.length} found)`,
      source,
    );
  }
  return matches;
}

function applyPatch(resources: Resource[], patch: PatchEntry): void {
  if (isJsonPatch(patch.docs)) {
    if (!patch.target) throw new KustomizeError('must specify a target for a JSON patch', patch.source);
    const operations = parseJsonPatch(patch.docs[0], patch.source);
    for (const resource of resources.filter((r) => matchesSelector(r, patch.target!))) {
      try {
        resource.object = applyJsonPatch(resource.object, operations);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new KustomizeError(`${message} (patching ${resourceId(resource.object)})`, patch.source, {
          cause: error,
        });
      }
    }
    return;
  }
  for (const doc of patch.docs) {
    if (!isMap(doc)) throw new KustomizeError('a strategic-merge patch must be a mapping', patch.source);
    const targets = patch.target
      ? resources.filter((r) => matchesSelector(r, patch.target!))
      : smpSelfTargets(resources, doc, patch.source);
    for (const resource of targets) {
      // With a target, the patch's own identity is ignored: it applies to each selected object as is.
      const { apiVersion: _apiVersion, kind: _kind, ...body } = doc;
      const metadata = isMap(body.metadata) ? { ...body.metadata } : undefined;
      if (metadata) {
        delete metadata.name;
        delete metadata.namespace;
        body.metadata = metadata;
      }
      resource.object = applyStrategicMerge(resource.object, body);
    }
  }
}

async function runPatches(kustomization: Kustomization, resources: Resource[]): Promise<void> {
  const { fields, file } = kustomization;
  const strategicMerge = stringList(fields.patchesStrategicMerge, 'patchesStrategicMerge', file);
  for (const [i, entry] of strategicMerge.entries()) {
    // An entry is a file path, or (if it does not name a file) an inline patch.
    const inline = entry.includes('\n') || !(await findPatchFile(kustomization, entry));
    applyPatch(
      resources,
      await loadPatchDocs(
        kustomization,
        inline ? { patch: entry } : { path: entry },
        `patchesStrategicMerge[${i}]`,
      ),
    );
  }
  if (fields.patches !== undefined) {
    if (!Array.isArray(fields.patches)) throw new KustomizeError('patches must be a list', file);
    for (const [i, entry] of fields.patches.entries()) {
      if (!isMap(entry)) throw new KustomizeError(`patches[${i}] must be a mapping`, file);
      applyPatch(resources, await loadPatchDocs(kustomization, entry, `patches[${i}]`));
    }
  }
}

async function findPatchFile(kustomization: Kustomization, entry: string): Promise<boolean> {
  try {
    return (await stat(resolve(kustomization.dir, entry))).isFile();
  } catch {
    return false;
  }
}

async function runJson6902Patches(kustomization: Kustomization, resources: Resource[]): Promise<void> {
  const { fields, file } = kustomization;
  if (fields.patchesJson6902 === undefined) return;
  if (!Array.isArray(fields.patchesJson6902))
    throw new KustomizeError('patchesJson6902 must be a list', file);
  for (const [i, entry] of fields.patchesJson6902.entries()) {
    if (!isMap(entry) || entry.target === undefined) {
      throw new KustomizeError(`patchesJson6902[${i}] needs a target`, file);
    }
    const patch = await loadPatchDocs(kustomization, entry, `patchesJson6902[${i}]`);
    if (!isJsonPatch(patch.docs)) throw new KustomizeError(`patchesJson6902[${i}] is not a JSON patch`, file);
    applyPatch(resources, patch);
  }
}

// --- the build ----------------------------------------------------------------------------------

function optionalString(value: unknown, field: string, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KustomizeError(`${field} must be a string`, file);
  return value;
}

function optionalMap(value: unknown, field: string, file: string): JsonMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) throw new KustomizeError(`${field} must be a mapping`, file);
  return value;
}

async function runTransformers(kustomization: Kustomization, resources: Resource[]): Promise<void> {
  const { fields, file } = kustomization;
  const objects = () => resources.map((r) => r.object);
  // The order of kustomize's built-in transformers.
  await runPatches(kustomization, resources);
  const namespace = optionalString(fields.namespace, 'namespace', file);
  if (namespace) setNamespace(resources, namespace);
  const prefix = optionalString(fields.namePrefix, 'namePrefix', file) ?? '';
  const suffix = optionalString(fields.nameSuffix, 'nameSuffix', file) ?? '';
  if (prefix || suffix) addNamePrefixSuffix(resources, prefix, suffix);
  const commonLabels = optionalMap(fields.commonLabels, 'commonLabels', file);
  if (commonLabels) addLabels(objects(), commonLabels, { includeSelectors: true, includeTemplates: true });
  if (fields.labels !== undefined) {
    if (!Array.isArray(fields.labels)) throw new KustomizeError('labels must be a list', file);
    for (const [i, label] of fields.labels.entries()) {
      if (!isMap(label) || !isMap(label.pairs)) throw new KustomizeError(`labels[${i}] needs pairs`, file);
      if (label.fields !== undefined) throw new KustomizeError(`labels[${i}].fields is not supported`, file);
      addLabels(objects(), label.pairs, {
        includeSelectors: label.includeSelectors === true,
        includeTemplates: label.includeTemplates === true,
      });
    }
  }
  const commonAnnotations = optionalMap(fields.commonAnnotations, 'commonAnnotations', file);
  if (commonAnnotations) addAnnotations(objects(), commonAnnotations);
  await runJson6902Patches(kustomization, resources);
  if (fields.replicas !== undefined) {
    if (!Array.isArray(fields.replicas)) throw new KustomizeError('replicas must be a list', file);
    setReplicas(
      resources,
      fields.replicas.map((entry, i) => {
        if (!isMap(entry) || typeof entry.name !== 'string' || typeof entry.count !== 'number') {
          throw new KustomizeError(`replicas[${i}] needs name and count`, file);
        }
        return { name: entry.name, count: entry.count };
      }),
    );
  }
  if (fields.images !== undefined) {
    if (!Array.isArray(fields.images)) throw new KustomizeError('images must be a list', file);
    setImages(
      objects(),
      fields.images.map((entry, i) => {
        if (!isMap(entry) || typeof entry.name !== 'string')
          throw new KustomizeError(`images[${i}] needs name`, file);
        const override: ImageOverride = { name: entry.name };
        if (entry.newName !== undefined) override.newName = String(entry.newName);
        if (entry.newTag !== undefined) override.newTag = String(entry.newTag);
        if (entry.digest !== undefined) override.digest = String(entry.digest);
        return override;
      }),
    );
  }
}

/**
 * Builds the kustomization in `dir`. A Kustomization starts from nothing; a Component works on the
 * resources accumulated so far by the kustomization that lists it (that is what makes components
 * able to patch their parent's resources).
 */
async function build(
  dir: string,
  expected: KustomizationKind,
  stack: string[],
  inherited: Resource[],
): Promise<Resource[]> {
  if (stack.includes(dir)) throw new KustomizeError(`cycle: ${[...stack, dir].join(' -> ')}`);
  const kustomization = await readKustomization(dir);
  if (kustomization.kind !== expected) {
    throw new KustomizeError(
      expected === 'Component'
        ? `expected kind 'Component' for path '${dir}' but got '${kustomization.kind}'`
        : `expected kind != 'Component' for path '${dir}'`,
      kustomization.file,
    );
  }
  const nested = [...stack, dir];
  let resources = inherited;
  await accumulateResources(kustomization, resources, nested);
  for (const entry of stringList(kustomization.fields.components, 'components', kustomization.file)) {
    const componentDir = resolve(kustomization.dir, entry);
    if (!(await isDirectory(componentDir))) {
      throw new KustomizeError(`component ${entry} must be a directory`, kustomization.file);
    }
    resources = await build(componentDir, 'Component', nested, resources);
  }
  await runTransformers(kustomization, resources);
  return resources;
}

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml) like `kustomize build`. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const root = resolve(dir);
  if (!(await isDirectory(root))) throw new KustomizeError(`not a directory: ${root}`);
  const resources = await build(root, 'Kustomization', [], []);
  fixNameReferences(resources);
  return sortLegacy(resources.map((r) => r.object));
}
