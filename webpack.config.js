// Builds the two packages of the npm workspace, each into its own dist/ (what `npm pack` ships):
// - extension-runtime: extension/dist/slice-finder.mjs, one ES module that the prebuilt viewer loads with
//   a plain dynamic import(). React is bundled (the host shares none with a runtime module).
// - extension-library: extension/dist/index.mjs, the package's entry for a viewer built with the
//   extension in pluginConfig.json: the same code with React left to the host build.
// - mode: mode/dist/slice-finder-mode.mjs, the mode (no UI, no dependencies), for both routes.
// Nothing of @ohif/* or cornerstone is bundled: the extension reaches the host's through its services.
// `--config-name <name>` builds one (each package's `npm run build` does).
const path = require('path');
const fs = require('fs');
const zlib = require('zlib');

const EXTENSION_OUT = path.resolve(__dirname, 'extension/dist');
const MODE_OUT = path.resolve(__dirname, 'mode/dist');
const MAX_BYTES = 1024 * 1024;

/** Prints the bundle size after each build and fails the build above 1 MB. */
class BundleSizePlugin {
  constructor(dir, file) {
    this.dir = dir;
    this.file = file;
  }
  apply(compiler) {
    const { dir, file: FILE } = this;
    compiler.hooks.afterEmit.tap('BundleSizePlugin', (compilation) => {
      const file = path.join(dir, FILE);
      if (!compilation.getAsset(FILE) || !fs.existsSync(file)) return;
      const source = fs.readFileSync(file);
      const gz = zlib.gzipSync(source).length;
      const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
      process.stdout.write(`extension bundle: ${path.relative(process.cwd(), file)} ${kib(source.length)} minified, ${kib(gz)} gzip (limit ${kib(MAX_BYTES)})\n`);
      if (source.length > MAX_BYTES) {
        compilation.errors.push(new Error(`extension bundle is ${kib(source.length)}, over the ${kib(MAX_BYTES)} limit`));
      }
    });
  }
}

/** What the host build provides (peer dependencies): imported, never bundled, by the library build. */
const HOST_PROVIDED = ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', /^@ohif\//];

function config({ name, entry, outDir, file, production, externals }) {
  return {
    name,
    // Entries resolve from the repository root also when a package's `npm run build` runs in its folder.
    context: __dirname,
    mode: production ? 'production' : 'development',
    entry,
    target: ['web', 'es2020'],
    devtool: production ? false : 'source-map',
    experiments: { outputModule: true },
    externalsType: 'module',
    externals,
    output: {
      path: outDir,
      filename: file,
      module: true,
      chunkFormat: 'module',
      library: { type: 'module' },
      // Two builds write into extension/dist: each replaces its own files, neither cleans the folder.
      clean: false,
      // Always written, so a file's time says when it was last built (tests/support/build.ts).
      compareBeforeEmit: false,
    },
    resolve: { extensions: ['.tsx', '.ts', '.js'] },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          loader: 'ts-loader',
          // Types are checked by `tsc --noEmit -p .`; the loader only transpiles, to ES modules so
          // webpack can tree-shake.
          options: { transpileOnly: true, compilerOptions: { module: 'es2020', noEmit: false, sourceMap: !production } },
        },
      ],
    },
    optimization: { splitChunks: false, runtimeChunk: false },
    performance: { hints: false },
    plugins: [new BundleSizePlugin(outDir, file)],
  };
}

module.exports = (_env, argv = {}) => {
  const production = argv.mode !== 'development';
  return [
    config({ name: 'extension-runtime', entry: './extension/src/index.ts', outDir: EXTENSION_OUT, file: 'slice-finder.mjs', production }),
    config({ name: 'extension-library', entry: './extension/src/index.ts', outDir: EXTENSION_OUT, file: 'index.mjs', production, externals: HOST_PROVIDED }),
    config({ name: 'mode', entry: './mode/src/index.ts', outDir: MODE_OUT, file: 'slice-finder-mode.mjs', production }),
  ];
};
