# Checks of the package's own logic that need neither the gauth program nor a
# provider (those run end to end in the repository's tests/r_package.rs): a
# missing gauth, exit codes to conditions, no system2 warning, the client
# secret kept off command lines, gargle's `email`, the config file, the
# registry. Run by R CMD check.
library(gauth)
options(warn = 2)

expect_condition <- function(expr, class) {
  got <- tryCatch({ force(expr); NULL }, error = function(e) e)
  if (!inherits(got, class)) {
    stop(sprintf("expected a %s, got: %s", class,
                 if (is.null(got)) "nothing" else paste(class(got), collapse = "/")))
  }
  got
}

## gauth missing: one classed error saying how to install it.
options(gauth.path = file.path(tempdir(), "no-such-gauth"))
e <- expect_condition(token(), "gauth_missing")
stopifnot(inherits(e, "gauth_condition"),
          grepl("cargo install --path .", conditionMessage(e), fixed = TRUE),
          grepl("options(gauth.path = ", conditionMessage(e), fixed = TRUE))
# The credential function says it once, as a message, and steps aside.
msgs <- character()
res <- withCallingHandlers(
  credentials_gauth(scopes = "openid", client = list(id = "x", secret = "y")),
  message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") }
)
stopifnot(is.null(res), length(msgs) == 1L, grepl("cargo install", msgs))
options(gauth.path = NULL)

## A token or a service account brought by the caller is left to gargle,
## without running anything.
stopifnot(is.null(credentials_gauth(token = "anything")),
          is.null(credentials_gauth(path = "sa.json")))

## gargle's email: only an address picks an account.
aa <- gauth:::account_arg
stopifnot(identical(aa("jenny@example.com"), "jenny@example.com"),
          is.null(aa(NULL)), is.null(aa(NA)), is.null(aa(TRUE)),
          is.null(aa("*@example.com")), is.null(aa("jenny")),
          is.null(aa(c("a@x", "b@x"))))

## Clients as packages hand them in.
cp <- gauth:::client_parts
stopifnot(identical(cp(list(id = "i", secret = "s")), list(id = "i", secret = "s")),
          identical(cp(httr::oauth_app("a", key = "k", secret = "s")), list(id = "k", secret = "s")),
          identical(cp("just-an-id"), list(id = "just-an-id", secret = NULL)),
          is.null(cp(list(secret = "s"))))

## gauth's config file.
cfgdir <- file.path(tempdir(), "cfg")
dir.create(file.path(cfgdir, "gauth"), recursive = TRUE)
writeLines(c("# a comment",
             "issuer = \"https://id.example.org\"   # trailing comment",
             "client_id = 'cli'",
             "scopes = [\"openid\",",
             "  \"email\", 'offline_access']"),
           file.path(cfgdir, "gauth", "config.toml"))
Sys.setenv(XDG_CONFIG_HOME = cfgdir)
cfg <- gauth:::read_config()
stopifnot(identical(cfg$issuer, "https://id.example.org"), isTRUE(cfg$client),
          identical(cfg$scopes, c("openid", "email", "offline_access")))
writeLines("credentials = \"/x/client.json\"", file.path(cfgdir, "gauth", "config.toml"))
cfg <- gauth:::read_config()
stopifnot(is.null(cfg$issuer), isTRUE(cfg$client), is.null(cfg$scopes))
unlink(file.path(cfgdir, "gauth", "config.toml"))
cfg <- gauth:::read_config()
stopifnot(!cfg$client)

## What a login from R asks for, and the command a message names.
ls <- gauth:::login_scopes
stopifnot(identical(ls("https://www.googleapis.com/auth/drive", cfg, FALSE, "https://accounts.google.com"),
                    c("openid", "email", "https://www.googleapis.com/auth/drive")),
          identical(ls("x", cfg, TRUE, "http://127.0.0.1:5"), c("openid", "email", "offline_access", "x")),
          identical(ls("email", list(scopes = c("openid", "email")), TRUE, NULL), c("openid", "email")))
stopifnot(identical(gauth:::login_command(c("openid", "https://www.googleapis.com/auth/drive")),
                    "gauth login --scope openid --scope https://www.googleapis.com/auth/drive"),
          identical(gauth:::login_command(c("a b")), "gauth login --scope 'a b'"))

if (.Platform$OS.type == "unix") {
  ## A stand-in gauth (a shell script) that exits as told, records its argv
  ## and whether it saw a client secret, and prints an error line the way
  ## gauth does. It checks the R side only; the real program is tested end
  ## to end.
  bin <- file.path(tempdir(), "bin")
  dir.create(bin)
  fake <- file.path(bin, "gauth")
  log <- file.path(tempdir(), "argv.log")
  writeLines(c(
    "#!/bin/sh",
    sprintf("printf '%%s\\n' \"$*\" >> '%s'", log),
    sprintf("printf 'secret=%%s\\n' \"${GAUTH_CLIENT_SECRET:-unset}\" >> '%s'", log),
    "code=${FAKE_EXIT:-0}",
    "if [ \"$code\" != 0 ]; then echo \"gauth: warning: something to know\" >&2; echo \"gauth: error: failed with $code; run \\`gauth login\\`\" >&2; fi",
    "if [ \"$code\" = 0 ]; then echo '{\"schema_version\":1,\"flow\":\"loopback\",\"issuer\":\"https://accounts.google.com\",\"client_id\":\"c\",\"account\":null,\"scopes\":[\"openid\"],\"access_token\":\"ya29.abc\",\"expires_at\":null}'; fi",
    "exit $code"
  ), fake)
  Sys.chmod(fake, "0755")
  Sys.setenv(PATH = paste(bin, Sys.getenv("PATH"), sep = ":"))

  classes <- c("1" = "gauth_error", "2" = "gauth_usage", "3" = "gauth_action_needed",
               "4" = "gauth_login_required")
  for (code in names(classes)) {
    Sys.setenv(FAKE_EXIT = code)
    seen <- character()
    e <- withCallingHandlers(
      expect_condition(token(), classes[[code]]),
      message = function(m) { seen <<- c(seen, conditionMessage(m)); invokeRestart("muffleMessage") })
    stopifnot(identical(e$status, as.integer(code)),
              identical(conditionMessage(e), sprintf("failed with %s; run `gauth login`", code)),
              # gauth's warnings are relayed as messages, once.
              identical(sum(grepl("gauth: warning: something to know", seen)), 1L))
  }

  ## Success: a token object with the access token and no refresh token.
  Sys.setenv(FAKE_EXIT = "0")
  tok <- token(scopes = "openid", email = "jenny@example.com")
  stopifnot(inherits(tok, "Token2.0"), tok$can_refresh(),
            identical(tok$credentials$access_token, "ya29.abc"),
            identical(names(tok$credentials), c("access_token", "token_type")),
            identical(tok$endpoint$access, httr::oauth_endpoints("google")$access))
  argv <- readLines(log)
  stopifnot("token --json --scope openid --account jenny@example.com" %in% argv)

  ## The client secret reaches gauth in its environment, never a command
  ## line (system2(env =) would put it in the shell's, which every user can
  ## read), and the environment is as before afterwards. Every command line
  ## system2() builds is recorded.
  unlink(log)
  Sys.unsetenv(c("GAUTH_CLIENT_ID", "GAUTH_CLIENT_SECRET"))
  lines <- character()
  suppressMessages(trace("system2", where = baseenv(), print = FALSE,
    tracer = quote(lines <<- c(lines, paste(c(env, command, args), collapse = " ")))))
  invisible(gauth::login(client = list(id = "the-id", secret = "s3cr3t-value"), flow = "loopback"))
  invisible(gauth::login(client = list(id = "the-id", secret = "s3cr3t-value"), flow = "device"))
  suppressMessages(untrace("system2", where = baseenv()))
  argv <- readLines(log)
  stopifnot(length(lines) == 2L,
            !any(grepl("s3cr3t-value", lines, fixed = TRUE)),
            !any(grepl("s3cr3t-value", argv[!startsWith(argv, "secret=")], fixed = TRUE)),
            identical(sum(argv == "secret=s3cr3t-value"), 2L),
            identical(Sys.getenv("GAUTH_CLIENT_SECRET", unset = NA), NA_character_),
            identical(Sys.getenv("GAUTH_CLIENT_ID", unset = NA), NA_character_))
  Sys.setenv(GAUTH_CLIENT_SECRET = "users-own")
  invisible(gauth::login(client = list(id = "the-id", secret = "s3cr3t-value"), flow = "loopback"))
  stopifnot(identical(Sys.getenv("GAUTH_CLIENT_SECRET"), "users-own"))
  Sys.unsetenv("GAUTH_CLIENT_SECRET")

  ## A token that is not a bearer token is never handed to httr.
  writeLines(c("#!/bin/sh", "printf '%s\\n' '{\"access_token\":\"\"}'"), fake)
  invisible(expect_condition(token(), "gauth_error"))
  writeLines(c("#!/bin/sh", "printf '%s\\n' '{\"access_token\":\"a b\\r\\nX: y\"}'"), fake)
  invisible(expect_condition(token(), "gauth_error"))
}

## use_gauth(): gargle's registry gets credentials_gauth first, once.
if (requireNamespace("gargle", quietly = TRUE) &&
    utils::packageVersion("gargle") >= "1.3.0") {
  use_gauth()
  use_gauth()
  fns <- names(gargle::cred_funs_list())
  stopifnot(identical(fns[1], "gauth"), sum(fns == "gauth") == 1L)
  gargle::cred_funs_set_default()
}
## Strings from gauth's JSON (a process name is its owner's choice) are
## escaped before a person sees them, as gauth escapes its own output.
e <- gauth:::esc
stopifnot(identical(e("a\033]0;PWN\007\033[2J"), "a\\e]0;PWN\\x07\\e[2J"),
          identical(e("z\u200bw\u202e"), "z\\u{200b}w\\u{202e}"),
          identical(e(c("plain", NA)), c("plain", NA)),
          identical(e("caf\u00e9"), "caf\u00e9"))

## gauth's advice in R's words: an argument, not a flag to add.
adv <- gauth:::r_advice
stopifnot(
  identical(adv("2 cached logins match; pick one by adding --account a@x | --account b@x"),
            "2 cached logins match; pick one with email = \"a@x\" | email = \"b@x\" (arguments of gauth::token(); a gargle package takes the email)"),
  grepl("force = TRUE", adv("held by R (pid 4): not expendable: busy; pass --force to kill it anyway")),
  grepl("same R call again", adv("no login is waiting for this answer: x; start one with `gauth login --no-wait`")),
  identical(adv("log in again: `gauth login --account a@x`"), "log in again: `gauth login --account a@x`"),
  identical(adv("no answer within 5s; run `gauth login --timeout 5s` again, or `gauth login --timeout 5s --no-wait` then `gauth login --finish -` to paste the redirected URL instead"),
            "no answer within 5s; run the same gauth::login() again, or with flow = \"paste\" to paste the redirected URL instead"))
stopifnot(
  identical(gauth:::shell_words("--account 'o'\\''brien@x' --scope a"),
            c("--account", "o'brien@x", "--scope", "a")),
  identical(adv("2 cached logins match; pick one by adding --account 'o'\\''b@x' | --account 'a b@x'"),
            "2 cached logins match; pick one with email = \"o'b@x\" | email = \"a b@x\" (arguments of gauth::token(); a gargle package takes the email)"),
  # A choice that is no argument: gauth's words, all of them.
  identical(adv("2 cached logins match; pick one by adding --account a@x | (no account)"),
            "2 cached logins match; pick one by adding --account a@x | (no account)"))
stopifnot(identical(
  adv("this login expired 3 s ago (it waited --timeout); start a new one with `gauth login --issuer https://x --client-id c --scope openid --no-wait`"),
  "this login expired 3 s ago (it waited --timeout); run the same gauth::login() again for a new one"))
rl <- gauth:::r_lines(c("Waiting for the browser to come back.",
                        "If it cannot reach this machine, stop this login and log in in two steps:",
                        "`gauth login --no-wait` (the same options but --flow and --no-browser), then `gauth login --finish -`."))
stopifnot(length(rl) == 2L, grepl("flow = \"paste\"", rl[2]))

## A gauth.path that cannot be run is a missing gauth, with the way out.
notexec <- file.path(tempdir(), "not-a-program")
writeLines("not a program", notexec)
Sys.chmod(notexec, "0644")
if (.Platform$OS.type == "unix" && file.access(notexec, 1L) != 0L) {
  options(gauth.path = notexec)
  e <- expect_condition(token(), "gauth_missing")
  stopifnot(grepl("not a program you can run", conditionMessage(e)))
  options(gauth.path = NULL)
}

## login(credentials =) takes a client JSON file, nothing else.
invisible(expect_condition(login(credentials = file.path(tempdir(), "none.json")), "gauth_usage"))
invisible(expect_condition(login(credentials = 1), "gauth_usage"))

cat("all gauth R checks passed\n")
