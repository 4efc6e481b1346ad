//! Which new passwords are refused (400 `weak_password`), after NIST SP 800-63B:
//! length and a check against common passwords, no composition rules.
//!
//! - [`check_shape`] (cheap, before anything else): 8 to 128 characters, not only
//!   whitespace, no control characters (C0 with NUL, DEL, C1), which no keyboard
//!   types and some systems cut a string at;
//! - [`check_guessable`] (a few milliseconds at most, so it runs on the argon2 pool):
//!   refused when zxcvbn estimates fewer than a million guesses (its scores 0 and 1).
//!   That covers its embedded list of 30,000 common passwords (as typed, in any case,
//!   reversed or in l33t), keyboard rows, repeats, sequences, dates, and passwords
//!   made of the email address or the site's name. Spaces and any Unicode are
//!   allowed, as NIST asks.

/// Why a password is refused; the message is shown to the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Weak {
    #[error("passwords are 8 to 128 characters")]
    Length,
    #[error("a password cannot be only spaces")]
    Blank,
    #[error("a password cannot contain control characters")]
    Control,
    #[error("this password is too common or too easy to guess; choose a longer, less usual one (a few unrelated words work well)")]
    Guessable,
}

/// Length, not only whitespace, no control characters.
pub fn check_shape(password: &str) -> Result<(), Weak> {
    if !(8..=128).contains(&password.chars().count()) {
        return Err(Weak::Length);
    }
    if password.chars().all(char::is_whitespace) {
        return Err(Weak::Blank);
    }
    if password.chars().any(char::is_control) {
        return Err(Weak::Control);
    }
    Ok(())
}

/// Refuses a password guessed in under a million tries, knowing the account's
/// `email` (and the site's name) as an attacker would.
pub fn check_guessable(password: &str, email: &str) -> Result<(), Weak> {
    let local = email.split('@').next().unwrap_or(email);
    let entropy = zxcvbn::zxcvbn(password, &[email, local, "floodgate"]);
    if u8::from(entropy.score()) < 2 {
        return Err(Weak::Guessable);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), Weak> {
        check_shape(password)?;
        check_guessable(password, "fan.one@example.com")
    }

    #[test]
    fn refuses_blank_and_control_characters() {
        assert_eq!(check("        "), Err(Weak::Blank));
        assert_eq!(check("\t\n \u{3000}    "), Err(Weak::Blank));
        assert_eq!(check("\0\0\0\0\0\0\0\0"), Err(Weak::Control));
        assert_eq!(check("correct\0horse battery"), Err(Weak::Control));
        assert_eq!(check("correct\u{7F}horse battery"), Err(Weak::Control));
        assert_eq!(check("correct\u{85}horse battery"), Err(Weak::Control));
    }

    #[test]
    fn refuses_by_length_in_characters() {
        assert_eq!(check("short"), Err(Weak::Length));
        assert_eq!(check(&"ö".repeat(129)), Err(Weak::Length));
        assert_eq!(
            check_shape(&"ö".repeat(64)),
            Ok(()),
            "64 characters, 128 bytes"
        );
    }

    #[test]
    fn refuses_common_and_guessable_passwords() {
        for weak in [
            "12345678",
            "password",
            "Password1",
            "P@ssw0rd1",
            "password123",
            "iloveyou",
            "qwertyuiop",
            "aaaaaaaa",
            "abcdefgh",
            "drowssap", // reversed
            "fan.one@example.com",
            "fan.one123",
            "floodgate2026",
        ] {
            assert_eq!(check(weak), Err(Weak::Guessable), "{weak:?}");
        }
    }

    #[test]
    fn accepts_passphrases_and_unusual_passwords() {
        for good in [
            "correct horse battery staple",
            "fan-password",
            "Tr0ub4dor&3",
            "mein Hund heißt Bello",
            "パスワードは秘密です",
            "  leading and trailing  ",
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }
}
