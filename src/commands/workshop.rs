//! `serve`, `workshop ...`, `join`, and what `board` sets up before the terminal board
//! (`workshop::client::board`) takes over: which workshop, the key map, the colours.

use std::path::{Path, PathBuf};

use crate::cli::{CodeAction, DatabaseArgs, ExportFormat, InstructorArgs, JoinArgs, ServeArgs};
use crate::content::Pack;
use crate::ui::theme;
use crate::workshop::client::board::{self, render::Palette};
use crate::workshop::client::instructor::{Instructor, InstructorOptions};
use crate::workshop::client::saved::{InstructorCredentials, Membership};
use crate::workshop::client::{base_url, http, send};
use crate::workshop::db::Db;
use crate::workshop::model::{JoinCodeAction, JoinRequest, JoinResponse, PacingChange, StepRef, now_ms};
use crate::workshop::server::{self, ServeOptions, limit::Limits};

/// The default SQLite file, shared by `serve` and `workshop create` on one machine.
pub fn default_database(state_dir: Option<&Path>) -> Result<PathBuf, String> {
    let dir = state_dir.ok_or("no state folder: set KUBEDOJO_STATE_DIR or give --database")?;
    Ok(crate::workshop::client::saved::dir(dir).join("server.db"))
}

pub fn database_url(args: &DatabaseArgs, state_dir: Option<&Path>) -> Result<String, String> {
    if let Some(url) = &args.database_url {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("--database-url must be a postgres:// URL (for SQLite use --database FILE)".into());
        }
        return Ok(url.clone());
    }
    let path = match &args.database {
        Some(p) => p.clone(),
        None => default_database(state_dir)?,
    };
    Ok(path.display().to_string())
}

pub async fn serve(args: &ServeArgs, state_dir: Option<&Path>) -> Result<i32, String> {
    let tls = args.tls_cert.clone().zip(args.tls_key.clone());
    let options = ServeOptions {
        listen: args.listen,
        database: database_url(&args.database, state_dir)?,
        tls,
        limits: Limits {
            per_token_per_sec: args.rate,
            per_token_burst: args.rate.saturating_mul(3),
            joins_per_min: args.joins_per_minute,
            events_per_sec: args.events_per_second,
            ..Limits::default()
        },
        max_learners: i64::from(args.max_learners),
    };
    server::serve(options).await.map_err(|e| format!("{e:#}"))?;
    Ok(0)
}

/// The board's columns: every step of every exercise, in course order.
pub fn steps(pack: &Pack) -> Vec<StepRef> {
    pack.exercises
        .iter()
        .flat_map(|e| e.steps.iter().map(|s| StepRef { exercise: e.id.clone(), step: s.id.clone(), title: crate::content::vars::expand(&s.title, &e.vars) }))
        .collect()
}

pub async fn create(pack: &Pack, name: &str, stuck_after: u32, server_url: &str, database: &DatabaseArgs, state_dir: Option<&Path>) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > crate::workshop::model::MAX_NAME {
        return Err(format!("--name must be 1 to {} characters", crate::workshop::model::MAX_NAME));
    }
    let steps = steps(pack);
    if steps.is_empty() {
        return Err(format!("the pack {} has no exercise steps to follow", pack.id));
    }
    let db = Db::open(&database_url(database, state_dir)?).await.map_err(|e| format!("{e:#}"))?;
    let created = db.create_workshop(name, &steps, i64::from(stuck_after) * 60).await.map_err(|e| format!("{e:#}"))?;
    db.close().await;
    let server_url = base_url(server_url);
    let saved = match state_dir {
        Some(dir) => {
            let creds = InstructorCredentials {
                server: server_url.clone(),
                workshop: created.id.clone(),
                name: created.name.clone(),
                token: created.instructor_token.clone(),
                created_at: now_ms(),
            };
            match creds.save(dir) {
                Ok(p) => format!("The instructor token is saved in {} for `kubedojo board` and the pacing commands on this machine.\n", p.display()),
                Err(e) => format!("warning: could not save the instructor token: {e:#}\n"),
            }
        }
        None => String::new(),
    };
    Ok(format!(
        "Workshop {name} created: {id} ({n} steps from {pack}).\n\n\
         For the room (learners join with this):\n  kubedojo join {server_url} {code} --name \"Their Name\"\n\n\
         \n\
         For you only (do not project: the token reads and paces the workshop; shown once):\n\
         Instructor token: {token}\n\
         Live board: {server_url}/board/{id}#token={token}\n\
         Terminal board: kubedojo board {server_url}/board/{id}\n{saved}",
        id = created.id,
        n = steps.len(),
        pack = pack.id,
        code = created.join_code,
        token = created.instructor_token,
    ))
}

pub async fn list(database: &DatabaseArgs, state_dir: Option<&Path>) -> Result<String, String> {
    let db = Db::open(&database_url(database, state_dir)?).await.map_err(|e| format!("{e:#}"))?;
    let workshops = db.list_workshops().await.map_err(|e| format!("{e:#}"))?;
    db.close().await;
    if workshops.is_empty() {
        return Ok("No workshops yet: kubedojo workshop create --name \"...\"\n".into());
    }
    let mut out = String::new();
    for w in workshops {
        let created = jiff::Timestamp::from_millisecond(w.created_at).map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{}  {}  {} learners  created {}  {}\n",
            w.id,
            w.name,
            w.learners,
            created,
            if w.join_open { "joining open" } else { "joining closed" }
        ));
    }
    Ok(out)
}

/// The instructor's flags and environment, as the workshop client takes them.
pub fn instructor_options(args: &InstructorArgs) -> InstructorOptions {
    InstructorOptions { server: args.server(), workshop: args.auth.workshop.clone(), token: args.auth.token.clone() }
}

/// The terminal board's colours: the UI theme's.
pub fn board_palette() -> Palette {
    Palette {
        title_bar: theme::title_bar(),
        status_bar: theme::status_bar(),
        key_hint: theme::key_hint(),
        muted: theme::muted(),
        selected: theme::selected(),
        border: theme::border(),
        part_title: theme::part_title(),
    }
}

/// `kubedojo board`: which workshop (a wrong token or workshop is said before the screen
/// changes), the learner's key map (a notice when their file is bad), then the board.
pub async fn board(args: &InstructorArgs, state_dir: Option<&Path>) -> anyhow::Result<()> {
    let instructor = Instructor::resolve(&instructor_options(args), state_dir)?;
    instructor.board().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (keymap, notice) = crate::session::keymap();
    if let Some(notice) = notice {
        eprintln!("{notice}");
    }
    board::run(instructor, &keymap, &board_palette()).await
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub async fn pace(args: &InstructorArgs, change: PacingChange, state_dir: Option<&Path>) -> Result<String, String> {
    let i = Instructor::resolve(&instructor_options(args), state_dir).map_err(|e| format!("{e:#}"))?;
    let pacing = i.pacing(&change).await.map_err(err)?;
    let locked = if pacing.locked.is_empty() { "nothing locked".to_string() } else { format!("locked: {}", pacing.locked.join(", ")) };
    let message = pacing.message.map_or("no message".to_string(), |m| format!("message: {m}"));
    Ok(format!("Workshop {}: {locked}; {message}.\n", i.workshop))
}

pub async fn code(args: &InstructorArgs, action: CodeAction, state_dir: Option<&Path>) -> Result<String, String> {
    let i = Instructor::resolve(&instructor_options(args), state_dir).map_err(|e| format!("{e:#}"))?;
    let action = match action {
        CodeAction::Rotate => JoinCodeAction::Rotate,
        CodeAction::Close => JoinCodeAction::Close,
    };
    let answer = i.join_code(action).await.map_err(err)?;
    Ok(match answer.code {
        Some(code) => format!("New join code (the old one no longer works):\n  kubedojo join {} {code} --name \"Their Name\"\n", i.server),
        None => format!("Joining workshop {} is closed; `kubedojo workshop code rotate` opens it with a new code.\n", i.workshop),
    })
}

pub async fn export(args: &InstructorArgs, format: ExportFormat, output: Option<&Path>, state_dir: Option<&Path>) -> Result<String, String> {
    let i = Instructor::resolve(&instructor_options(args), state_dir).map_err(|e| format!("{e:#}"))?;
    let format = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Json => "json",
    };
    let text = i.export(format).await.map_err(err)?;
    match output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("could not write {}: {e}", path.display()))?;
            Ok(format!("Wrote {}.\n", path.display()))
        }
        None => Ok(text),
    }
}

pub async fn join(args: &JoinArgs, state_dir: Option<&Path>) -> Result<String, String> {
    let dir = state_dir.ok_or("no state folder to keep the membership in: set KUBEDOJO_STATE_DIR")?;
    let server = base_url(&args.server);
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(format!("{server}: give the server as http://HOST:PORT or https://HOST"));
    }
    let outbox = crate::workshop::client::outbox::Outbox::new(crate::workshop::client::saved::outbox_path(dir));
    let mut note = String::new();
    let earlier = Membership::load(dir).ok().flatten();
    // the same machine joining again: the same learner, not a second one with the same name
    let rejoin = earlier.as_ref().filter(|m| m.server == server).map(|m| m.token.clone());
    if let Some(existing) = &earlier {
        let waiting = outbox.pending().map(|p| p.len()).unwrap_or(0);
        if waiting > 0 && !args.discard_pending {
            return Err(format!(
                "{waiting} progress events for workshop {} ({}) have not reached {} yet; start kubedojo while that server is up to deliver them, \
                 or join with --discard-pending to set them aside",
                existing.workshop_name, existing.workshop, existing.server
            ));
        }
    }
    let client = http().map_err(|e| format!("{e:#}"))?;
    let answer: JoinResponse =
        send(&server, client.post(format!("{server}/api/join")).json(&JoinRequest { code: args.code.clone(), name: args.name.clone(), rejoin }))
            .await
            .map_err(err)?;
    if args.discard_pending {
        let n = outbox.discard().map_err(|e| format!("{e:#}"))?;
        if n > 0 {
            note = format!("{n} undelivered events of the earlier workshop were set aside in {}.\n", outbox.path().with_extension("discarded").display());
        }
    }
    let membership = Membership {
        server: server.clone(),
        workshop: answer.workshop,
        workshop_name: answer.workshop_name,
        learner: answer.learner,
        name: args.name.trim().to_string(),
        token: answer.token,
        steps: answer.steps,
        share_drills: args.share_drills,
    };
    let path = membership.save(dir).map_err(|e| format!("{e:#}"))?;
    let again = if answer.rejoined { " again (the same learner on the board)" } else { "" };
    Ok(format!(
        "{note}Joined workshop \"{}\"{again} as \"{}\". From now on kubedojo reports your progress on its exercises to the instructor's board.\n(Membership saved in {}.)\n",
        membership.workshop_name,
        membership.name,
        path.display()
    ))
}
