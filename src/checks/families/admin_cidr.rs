//! The address range a lab opens its public endpoints to (the EKS API's `publicAccessCIDRs`,
//! an ALB's `inbound-cidrs`): it must be the learner's own, never the whole internet, and not
//! the documentation range the lab ships as a placeholder. A local check: it reads the lab's
//! variable, nothing else.

use std::net::IpAddr;

use crate::checks::context::Ctx;
use crate::checks::outcome::{Outcome, Step, fail, pass, warn};

/// How to set the range, as a learner runs it.
const HOW: &str = "put your public address under [vars] in ~/.config/kubedojo/lab.toml as adminCidr = \"<address>/32\" (curl -fsS https://checkip.amazonaws.com prints it), then run kubedojo files again so the lab's files carry it";

/// What to run: print the lab config line with the learner's own address, for the config file
/// kubedojo reads (the one `KUBEDOJO_LAB_CONFIG` names, or the platform's default).
fn next_step() -> String {
    let path = crate::labconfig::default_path().map_or_else(|| "~/.config/kubedojo/lab.toml".to_string(), |p| p.display().to_string());
    format!("echo \"adminCidr = \\\"$(curl -fsS https://checkip.amazonaws.com)/32\\\"\" prints the line to put under [vars] in {path}; then run kubedojo files")
}

/// RFC 5737 documentation networks (the lab's placeholder is one) and RFC 3849 for IPv6.
fn documentation(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
        }
        IpAddr::V6(v6) => v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8,
    }
}

/// `address/prefix`, or why not.
pub fn parse(cidr: &str) -> Result<(IpAddr, u8), String> {
    let (addr, prefix) = cidr.split_once('/').ok_or_else(|| format!("{cidr} has no /prefix"))?;
    let ip: IpAddr = addr.parse().map_err(|_| format!("{addr} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| format!("/{prefix} is not a prefix length for {addr}"))?;
    Ok((ip, prefix))
}

pub fn check(ctx: &Ctx<'_>) -> Step<Outcome> {
    let cidr = ctx.text("cidr", "adminCidr", "");
    let expected = "your own address, e.g. 198.51.100.7/32 with your real address";
    if cidr.trim().is_empty() {
        return Ok(fail(format!("adminCidr is not set: {HOW}")).found_expected("unset", expected).next(next_step()));
    }
    let (ip, prefix) = match parse(cidr.trim()) {
        Ok(p) => p,
        Err(why) => return Ok(fail(format!("adminCidr {cidr} is not a CIDR ({why}): {HOW}")).found_expected(cidr, expected).next(next_step())),
    };
    if prefix == 0 {
        return Ok(fail(format!("adminCidr {cidr} is the whole internet: the lab's API endpoint and load balancer would answer anyone; {HOW}"))
            .found_expected(cidr, expected)
            .next(next_step()));
    }
    if documentation(ip) {
        return Ok(fail(format!(
            "adminCidr {cidr} is a documentation address (the lab's placeholder), so you would lock yourself out of the cluster's API; {HOW}"
        ))
        .found_expected(cidr, expected)
        .next(next_step()));
    }
    let broad = if ip.is_ipv4() { prefix < 24 } else { prefix < 56 };
    if broad {
        return Ok(warn(format!("adminCidr {cidr} opens the lab's endpoints to a wide range: prefer your own address (/32)")));
    }
    Ok(pass(format!("the lab's public endpoints answer {cidr} only")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_are_parsed_and_documentation_ranges_recognised() {
        assert_eq!(parse("198.18.7.10/32").unwrap().1, 32);
        assert!(parse("10.0.0.0").is_err() && parse("10.0.0.0/33").is_err() && parse("x/8").is_err());
        assert!(documentation(parse("203.0.113.10/32").unwrap().0));
        assert!(documentation(parse("2001:db8::1/128").unwrap().0));
        assert!(!documentation(parse("198.18.7.10/32").unwrap().0));
    }
}
