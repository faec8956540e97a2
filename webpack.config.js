// Builds the OHIF extension as one ES module (dist/extension/slice-finder.mjs) that the prebuilt
// viewer loads with a plain dynamic import(). React is bundled (the host shares none); nothing of
// @ohif/* or cornerstone is: the extension reaches the host's through its services.
const path = require('path');
const fs = require('fs');
const zlib = require('zlib');

const OUT_DIR = path.resolve(__dirname, 'dist/extension');
const FILE = 'slice-finder.mjs';
const MAX_BYTES = 1024 * 1024;

/** Prints the bundle size after each build and fails the build above 1 MB. */
class BundleSizePlugin {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('BundleSizePlugin', (compilation) => {
      const file = path.join(OUT_DIR, FILE);
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

module.exports = (_env, argv = {}) => {
  const production = argv.mode !== 'development';
  return {
    mode: production ? 'production' : 'development',
    entry: './extension/src/index.ts',
    target: ['web', 'es2020'],
    devtool: production ? false : 'source-map',
    experiments: { outputModule: true },
    output: {
      path: OUT_DIR,
      filename: FILE,
      module: true,
      chunkFormat: 'module',
      library: { type: 'module' },
      clean: true,
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
    plugins: [new BundleSizePlugin()],
  };
};
