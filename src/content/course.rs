//! `course.toml`: the pack's id, title and its tree of parts.

use serde::Deserialize;
use toml::Spanned;

use super::diag::Diagnostic;
use super::toml_src::TomlFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCourse {
    pub id: Spanned<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub parts: Vec<RawPart>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPart {
    pub title: String,
    pub items: Vec<Spanned<String>>,
}

pub fn parse(src: &TomlFile<'_>) -> Result<RawCourse, Diagnostic> {
    let course: RawCourse = src.parse("course.toml holds id, title, description and [[parts]] with title and items")?;
    if !super::lesson::valid_id(course.id.get_ref()) {
        return Err(src.error(&course.id, format!("pack id {:?} is not a valid id", course.id.get_ref())).hint("use lowercase letters, digits and dashes"));
    }
    Ok(course)
}
