/**
 * Undo steps (child processes, temp dirs, databases), run last-in first-out exactly once,
 * whether the benchmark finishes, fails, is interrupted or hits its time limit.
 */
export class CleanupStack {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private running: Promise<void> | undefined;

  /** Registers an undo step; it runs before every step registered earlier. */
  push(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  /** Runs every step once; a failing step is reported and the others still run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup "${step.name}" failed: ${error instanceof Error ? error.message : error}`);
        }
      }
    })();
    return this.running;
  }
}
