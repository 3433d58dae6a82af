/**
 * How every Flint browser test and benchmark launches Chromium: Debian's (never a downloaded
 * browser; `FLINT_CHROMIUM` overrides the path), without sandbox or GPU (these machines run as
 * root, headless), and with nothing that talks to the network on its own.
 */
export const CHROMIUM_LAUNCH_OPTIONS: { executablePath: string; args: string[] } = {
  executablePath: process.env.FLINT_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
  ],
};
