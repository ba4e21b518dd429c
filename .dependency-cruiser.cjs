// Who imports whom (docs/style.md, "Who imports whom"), checked by `npm test` (`npm run imports`):
// the folders show the dependency arrows, and this keeps them true. Paths are relative to the repo
// root; `type-only` is an `import type`, erased at run time.

const NPM = '(^|/)node_modules/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'lib/core imports only lib/core, lib/config (types, next rule) and lib/errors.ts (a leaf: the typed errors ' +
        'its parsers throw); no npm package, no Node built-in: time and randomness are arguments.',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { pathNot: '^lib/(core/|config/|errors[.]ts$)' },
    },
    {
      name: 'core-takes-config-types-only',
      comment: 'lib/core may see the shape of a spec or state, never the zod schemas that parse them.',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { path: '^lib/config/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'errors-is-a-leaf',
      comment: 'lib/errors.ts is imported by every layer, core included, so it imports nothing.',
      severity: 'error',
      from: { path: '^lib/errors[.]ts$' },
      to: {},
    },
    {
      name: 'ports-are-types',
      comment: 'lib/ports holds only types: it imports types, and only from core and config.',
      severity: 'error',
      from: { path: '^lib/ports/' },
      to: { pathNot: '^lib/(ports|core|config)/' },
    },
    {
      name: 'ports-import-types-only',
      severity: 'error',
      from: { path: '^lib/ports/' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'adapters-stay-apart',
      comment: 'lib/adapters/aws never imports lib/adapters/local, nor the other way round.',
      severity: 'error',
      from: { path: '^lib/adapters/([^/]+)/' },
      to: { path: '^lib/adapters/', pathNot: '^lib/adapters/$1/' },
    },
    {
      name: 'zk-never-imports-adapters',
      severity: 'error',
      from: { path: '^lib/zk/' },
      to: { path: '^lib/adapters/' },
    },
    {
      name: 'adapters-never-import-zk',
      comment:
        'One known exception: the process fleet waits for a starting server with the four-letter-word ' +
        'sender (zk/fourLetterWord.ts); see the next rule. Boot files (and the digest in them) are ' +
        'rendered by the controller, so no fleet needs lib/zk for them.',
      severity: 'error',
      from: {
        path: '^lib/adapters/',
        pathNot: '^lib/adapters/local/processFleet[.]ts$',
      },
      to: { path: '^lib/zk/' },
    },
    {
      name: 'adapters-never-import-zk-beyond-known-exceptions',
      comment: 'The exception above may import that zk module and nothing else of lib/zk.',
      severity: 'error',
      from: { path: '^lib/adapters/local/processFleet[.]ts$' },
      to: { path: '^lib/zk/', pathNot: '^lib/zk/fourLetterWord[.]ts$' },
    },
    {
      name: 'zk-and-adapters-are-leaves',
      comment: 'lib/zk and lib/adapters/* import ports, core, config, errors and their SDK, never the layers that use them.',
      severity: 'error',
      from: { path: '^lib/(zk|adapters)/' },
      to: { path: '^(lib/(controller|wiring|cli|sim)/|functions/)' },
    },
    {
      name: 'controller-never-an-adapter',
      comment: 'lib/controller imports core, ports (types), config and errors; the composition roots hand it adapters.',
      severity: 'error',
      from: { path: '^lib/controller/' },
      to: { path: '^(lib/(adapters|zk|wiring|cli|sim)/|functions/)' },
    },
    {
      name: 'controller-takes-port-types-only',
      severity: 'error',
      from: { path: '^lib/controller/' },
      to: { path: '^lib/ports/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'controller-imports-no-npm-package',
      comment: 'What the controller needs from outside comes through its ports.',
      severity: 'error',
      from: { path: '^lib/controller/' },
      to: { path: NPM },
    },
    {
      name: 'each-sdk-in-its-adapter',
      comment:
        'The AWS SDK and Powertools only in lib/adapters/aws, lib/wiring and functions/; middy only in functions/; ' +
        'the ZooKeeper client only in lib/zk.',
      severity: 'error',
      from: { pathNot: '^(lib/adapters/aws|lib/wiring|functions)/' },
      to: { path: `${NPM}(@aws-sdk|@aws-lambda-powertools)/` },
    },
    {
      name: 'middy-only-in-functions',
      severity: 'error',
      from: { pathNot: '^functions/' },
      to: { path: `${NPM}@middy/` },
    },
    {
      name: 'zookeeper-client-only-in-zk',
      severity: 'error',
      from: { pathNot: '^lib/zk/' },
      to: { path: `${NPM}node-zookeeper-client/` },
    },
    {
      name: 'nothing-imports-the-composition-roots',
      comment: 'functions/, lib/cli and lib/wiring build everything; only they, scripts and tests import them.',
      severity: 'error',
      from: { pathNot: '^(functions|lib/cli|lib/wiring|scripts|test)/' },
      to: { path: '^(functions|lib/cli|lib/wiring)/' },
    },
    {
      name: 'code-never-imports-tests',
      severity: 'error',
      from: { path: '^(lib|functions|scripts)/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'A module the check cannot find is a module it cannot check.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: NPM },
    // `import type` is reported (as type-only) instead of being dropped, so the type rules can see it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
