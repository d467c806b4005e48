//! A real OpenID provider for the login tests: node's `oidc-provider`
//! (tests/oidc/server.mjs) on 127.0.0.1, and the scripted user agent
//! (tests/oidc/agent.mjs) that stands in for the browser (tests/oidc/
//! chromium.mjs drives a real one: tests/login_browser.rs). The npm packages
//! are installed on first use (`npm ci`); without node and npm these tests
//! fail, they are never skipped.
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;

pub fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// `npm ci` once per test binary, serialized across binaries by a lock file.
pub fn ensure_npm_packages() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = oidc_dir();
        let lock = std::fs::File::create(std::env::temp_dir().join("gauth-test-npm.lock"))
            .expect("npm lock file");
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).expect("flock");
        // A checkout whose node_modules predates a package in the lock file
        // gets it too.
        let installed = ["oidc-provider", "playwright-core"].iter().all(|p| {
            dir.join("node_modules")
                .join(p)
                .join("package.json")
                .exists()
        });
        if !installed {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .output()
                .expect("run npm (node and npm are needed for the login tests)");
            assert!(
                out.status.success(),
                "npm ci failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
}

/// A running provider; killed on drop.
pub struct Oidc {
    pub child: Child,
    pub issuer: String,
}

impl Drop for Oidc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Oidc {
    /// Start the provider with server.mjs options (`--access-ttl 2`,
    /// `--no-device`, `--slow-down 1`, …) and wait for READY.
    pub fn start(args: &[&str]) -> Oidc {
        Oidc::start_script("server.mjs", args)
    }

    /// Start the hostile provider (tests/oidc/hostile.mjs: trickled and
    /// huge answers, odd device responses) with its options.
    pub fn hostile(args: &[&str]) -> Oidc {
        Oidc::start_script("hostile.mjs", args)
    }

    fn start_script(script: &str, args: &[&str]) -> Oidc {
        ensure_npm_packages();
        let mut child = Command::new("node")
            .arg(oidc_dir().join(script))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node server.mjs");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut line).expect("READY line");
        // Keep reading: oidc-provider prints notices on stdout later (the
        // first device-flow page, …), and a write to a closed pipe kills node.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("READY issuer=")
            .unwrap_or_else(|| panic!("{script} said {line:?}"))
            .to_owned();
        Oidc { child, issuer }
    }

    /// The scripted user agent as a `BROWSER` program: a shell script that
    /// runs agent.mjs on the URL it is given (with `extra` options).
    pub fn browser_script(&self, dir: &std::path::Path, extra: &str) -> PathBuf {
        let node = which("node");
        super::fixtures::write_script(
            dir,
            "open-url",
            &format!(
                "#!/bin/sh\nexec {} {} \"$1\" {extra} >>{} 2>&1\n",
                node.display(),
                oidc_dir().join("agent.mjs").display(),
                dir.join("browser.log").display()
            ),
        )
    }

    /// Run the agent on `url` and return what it printed (`--print-redirect`
    /// prints the redirected URL: what a user would paste).
    pub fn agent(&self, url: &str, extra: &[&str]) -> String {
        let out = Command::new("node")
            .arg(oidc_dir().join("agent.mjs"))
            .arg(url)
            .args(extra)
            .output()
            .expect("run agent.mjs");
        assert!(
            out.status.success(),
            "agent failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

pub fn which(program: &str) -> PathBuf {
    super::on_path(program).unwrap_or_else(|| panic!("{program} is not on PATH"))
}
