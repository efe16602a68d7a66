//! The real binary in a pseudo-terminal, its screen read through a terminal emulator (vt100).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::termios::{LocalFlags, Termios};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Tty {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Kept open so the terminal's modes can be read after the child exits.
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// The terminal's modes before the child started (cooked: canonical input, echo).
    modes_at_start: Termios,
}

impl Tty {
    pub fn spawn(state: &std::path::Path, home: &std::path::Path) -> Self {
        Self::spawn_with(state, home, &[])
    }

    /// The binary with arguments; transcripts go to `home/data`.
    pub fn spawn_with(state: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Self {
        let pty = native_pty_system().openpty(PtySize { rows: 30, cols: 100, pixel_width: 0, pixel_height: 0 }).expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_kubedojo"));
        cmd.args(args);
        cmd.env("KUBEDOJO_STATE_DIR", state);
        cmd.env("KUBEDOJO_DATA_DIR", home.join("data"));
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join(".config"));
        cmd.env("TERM", "xterm-256color");
        for var in ["KUBECONFIG", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"] {
            cmd.env_remove(var);
        }
        let modes_at_start = pty.master.get_termios().expect("the pty's modes");
        let child = pty.slave.spawn_command(cmd).expect("spawn kubedojo");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(std::num::NonZero::new(30).expect("rows"), std::num::NonZero::new(100).expect("cols"), 0)));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("screen").process(&buf[..n]);
            }
        });
        Self { screen, writer, child, master: pty.master, modes_at_start }
    }

    pub fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let contents = self.contents();
            if contents.contains(text) {
                return contents;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {text:?}; screen:\n{contents}");
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "kubedojo did not exit; screen:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// After exit: the terminal is out of raw mode (its modes as before the start), the main
    /// screen is back, the mouse released, the cursor shown.
    pub fn assert_restored(&self) {
        std::thread::sleep(Duration::from_millis(100));
        let modes = self.master.get_termios().expect("the pty's modes");
        let cooked = LocalFlags::ICANON | LocalFlags::ECHO;
        assert!(modes.local_flags.contains(cooked), "the terminal is left in raw mode: local modes {:?}", modes.local_flags);
        assert_eq!(
            (modes.input_flags, modes.output_flags, modes.local_flags),
            (self.modes_at_start.input_flags, self.modes_at_start.output_flags, self.modes_at_start.local_flags),
            "the terminal's modes differ from before the start"
        );
        let parser = self.screen.lock().expect("screen");
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None, "mouse still captured");
        assert!(!screen.hide_cursor(), "cursor still hidden");
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).expect("write");
        self.writer.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(60));
    }
}
