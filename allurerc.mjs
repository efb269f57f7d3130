// Allure 3 configuration for `npm run report` (scripts/report.mjs). One self-contained HTML file that opens from
// disk, with history across runs for trends. CI keeps the history by persisting the file that
// MESH_CONFORMANCE_ALLURE_HISTORY names (cache or artifact) and pointing the variable at it on the next run.
import process from 'node:process';
import { defineConfig } from 'allure';

const reportDir = process.env.MESH_CONFORMANCE_REPORT_DIR ?? 'reports';

export default defineConfig({
  name: 'mesh-conformance',
  output: process.env.MESH_CONFORMANCE_ALLURE_REPORT ?? `${reportDir}/allure-report`,
  historyPath: process.env.MESH_CONFORMANCE_ALLURE_HISTORY ?? `${reportDir}/allure-history.jsonl`,
  historyLimit: Number(process.env.MESH_CONFORMANCE_ALLURE_HISTORY_LIMIT ?? 100),
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportName: 'mesh-conformance',
        groupBy: ['epic', 'feature', 'story'],
      },
    },
  },
});
