import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import type { AxeScan } from './axe-watch';

/**
 * The summary line of the axe watch (./axe-watch.ts): distinct states scanned over the whole
 * run (the workers scan independently, so a state may be scanned once per worker), the time
 * the scans took, and the violations found.
 */
export default class AxeSummary implements Reporter {
  private states = new Set<string>();
  private scans = 0;
  private ms = 0;
  private violations = 0;

  onTestEnd(_test: TestCase, result: TestResult) {
    for (const a of result.attachments) {
      if (a.name !== 'axe-scans' || !a.body) continue;
      for (const scan of JSON.parse(a.body.toString()) as AxeScan[]) {
        for (const key of scan.keys) this.states.add(key);
        this.scans++;
        this.ms += scan.ms;
        this.violations += scan.violations.length;
      }
    }
  }

  onEnd() {
    console.log(
      `axe: ${this.states.size} distinct states scanned (${this.scans} scans, ${(this.ms / 1000).toFixed(1)} s), ${this.violations} violations`,
    );
  }

  printsToStdio() {
    return false;
  }
}
