# Running the gauth program: where it is, how it is called (no secret on a
# command line, no warning from system2), and its exit codes as R conditions.

.gauth <- new.env(parent = emptyenv())

# gauth's documented exit codes (src/error.rs) and the condition class each
# becomes in R.
exit_classes <- c(
  "1" = "gauth_error",
  "2" = "gauth_usage",
  "3" = "gauth_action_needed",
  "4" = "gauth_login_required"
)

gauth_condition <- function(message, class, status = NA_integer_,
                            stderr = character(), report = NULL,
                            call = NULL) {
  structure(
    class = c(class, "gauth_condition", "error", "condition"),
    list(message = message, call = call, status = status, stderr = stderr,
         report = report)
  )
}

install_hint <- paste0(
  "install it with `cargo install --path .` from a clone of gauth's ",
  "repository (see the \"Install\" section of its README), or tell R where ",
  "it is: options(gauth.path = \"/path/to/gauth\")"
)

gauth_missing <- function(what) {
  stop(gauth_condition(paste0(what, ": ", install_hint), "gauth_missing"))
}

# The gauth program: options(gauth.path), else the first `gauth` on PATH.
# Sys.which() runs /usr/bin/which in a shell on Unix, a whole process per
# call, so PATH is searched here and the answer kept until PATH changes:
# gauth::token() on a cache hit should cost one process, gauth's own.
gauth_path <- function() {
  opt <- getOption("gauth.path")
  if (!is.null(opt)) {
    if (!is.character(opt) || length(opt) != 1L || is.na(opt) || !nzchar(opt)) {
      stop(gauth_condition(
        "options(gauth.path) must be the path of the gauth program (one string)",
        "gauth_usage"
      ))
    }
    if (!file.exists(opt) || dir.exists(opt)) {
      gauth_missing(sprintf("options(gauth.path) names %s, which is not a file", opt))
    }
    if (file.access(opt, 1L) != 0L) {
      gauth_missing(sprintf("options(gauth.path) names %s, which is not a program you can run", opt))
    }
    return(opt)
  }
  path <- Sys.getenv("PATH")
  if (identical(.gauth$path_key, path) && file.exists(.gauth$path_value)) {
    return(.gauth$path_value)
  }
  found <- if (.Platform$OS.type == "windows") {
    unname(Sys.which("gauth"))
  } else {
    dirs <- strsplit(path, ":", fixed = TRUE)[[1]]
    dirs[!nzchar(dirs)] <- "."
    cand <- file.path(dirs, "gauth")
    ok <- file.exists(cand) & !dir.exists(cand) & file.access(cand, 1L) == 0L
    if (any(ok)) cand[which(ok)[1]] else ""
  }
  if (!nzchar(found)) {
    gauth_missing("the gauth program is not on PATH")
  }
  .gauth$path_key <- path
  .gauth$path_value <- found
  found
}

# Set environment variables for the length of one call and put back what was
# there before. Used for the client secret: system2(env = ) would write it
# into the shell command line, which every user on the machine can read in
# /proc/PID/cmdline; the environment of a process is readable only by its
# owner.
with_env <- function(vars, code) {
  if (length(vars) == 0L) {
    return(force(code))
  }
  old <- Sys.getenv(names(vars), unset = NA, names = TRUE)
  on.exit({
    was_set <- !is.na(old)
    if (any(was_set)) do.call(Sys.setenv, as.list(old[was_set]))
    if (any(!was_set)) Sys.unsetenv(names(old)[!was_set])
  }, add = TRUE)
  do.call(Sys.setenv, as.list(vars))
  force(code)
}

read_text <- function(path) {
  size <- file.size(path)
  if (is.na(size) || size == 0) {
    return("")
  }
  readChar(path, size, useBytes = TRUE)
}

# The one line gauth says what went wrong in (`gauth: error: …`); a usage
# error from the argument parser (`error: unexpected argument …`) otherwise.
error_line <- function(lines) {
  at <- grep("^gauth: error: ", lines)
  if (length(at)) {
    rest <- lines[-seq_len(at[1])]
    causes <- rest[cumprod(grepl("^[[:space:]]+", rest)) == 1]
    return(paste(c(sub("^gauth: error: ", "", lines[at[1]]), causes), collapse = "\n"))
  }
  hit <- grep("^error: ", lines, value = TRUE)
  if (length(hit)) {
    return(sub("^error: ", "", hit[1]))
  }
  lines <- lines[nzchar(trimws(lines))]
  if (length(lines)) lines[1] else ""
}

# Run `gauth ARGS`. Returns list(status, stdout, stderr, json) (json: TRUE,
# FALSE or "plain", see below). Never warns
# (system2 warns about a non-zero status only when it captures output itself;
# here output goes to files and the status is judged below). gauth's
# warnings are relayed as messages. With `live_stderr` (a login that waits
# for the user) what gauth says is shown while it runs: see gauth_stream().
gauth_exec <- function(args, input = NULL, env = character(),
                       live_stderr = FALSE, json = TRUE) {
  path <- gauth_path()
  if (live_stderr && .Platform$OS.type == "unix") {
    res <- gauth_stream(path, args, env)
  } else {
    # The same two files for every call of this process (R's session
    # directory is private to its user; a forked worker has its own pid):
    # creating and deleting two files costs about a tenth of `gauth token`.
    # Emptied after reading, so no token stays on disk.
    out <- file.path(tempdir(), sprintf("gauth-out-%d", Sys.getpid()))
    err <- file.path(tempdir(), sprintf("gauth-err-%d", Sys.getpid()))
    on.exit(file.create(out, err, showWarnings = FALSE), add = TRUE)
    status <- with_env(env, system2(
      path, shQuote(args),
      stdout = out, stderr = err, input = input
    ))
    res <- list(status = as.integer(status), stdout = read_text(out),
                stderr = split_lines(read_text(err)))
    if (length(res$stderr)) relay(res$stderr, everything = live_stderr)
  }
  res$json <- NULL
  if (!isFALSE(json) && nzchar(res$stdout)) {
    # "plain": jsonlite's parser without simplifying (a fifth of the time of
    # fromJSON on `gauth token --json`, which is on every token's path).
    res$json <- tryCatch(
      if (identical(json, "plain")) {
        jsonlite::parse_json(res$stdout)
      } else {
        jsonlite::fromJSON(res$stdout, simplifyVector = TRUE)
      },
      error = function(e) NULL
    )
  }
  res
}

split_lines <- function(text) {
  if (!nzchar(text)) character() else strsplit(text, "\r?\n")[[1]]
}

# gauth's own error line (and the causes under it) becomes the condition's
# message, so it is not shown twice; the rest is relayed (everything) or only
# its warnings.
relay <- function(lines, everything) {
  err <- grep("^gauth: error: ", lines)
  if (length(err)) lines <- lines[seq_len(err[1] - 1L)]
  if (!everything) lines <- grep("^gauth: warning: ", lines, value = TRUE)
  for (l in lines) message(l)
}

# A login that waits (loopback, device) runs in the background while R
# relays what it says on stderr with message(), line by line as it comes:
# a child's own stderr never reaches the console of RStudio on some
# systems, nor Jupyter's or Colab's, where the URL or the device code must be
# seen. R stays interruptible; an interrupted login is stopped.
gauth_stream <- function(path, args, env) {
  dir <- tempfile("gauth-run-")
  dir.create(dir, mode = "0700")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  f <- function(name) file.path(dir, name)
  script <- paste(
    'd=$1; shift',
    '"$@" >"$d/out" 2>"$d/err" </dev/null & echo $! >"$d/pid"',
    'wait $!; echo $? >"$d/status.tmp"; mv "$d/status.tmp" "$d/status"',
    sep = "\n"
  )
  # The client's variables only for the start: the background shell has its
  # copy of the environment once system2() returns.
  with_env(env, system2("/bin/sh", shQuote(c("-c", script, "sh", dir, path, args)),
                        stdout = FALSE, stderr = FALSE, wait = FALSE))
  on.exit(stop_background(f("pid"), f("status"), path), add = TRUE, after = FALSE)
  shown <- 0L
  started <- Sys.time()
  gone_since <- NULL
  repeat {
    done <- file.exists(f("status"))
    if (!done) {
      # Never wait for a status that cannot come: no shell started, or
      # gauth and its shell gone without writing one.
      pid <- if (file.exists(f("pid"))) suppressWarnings(as.integer(readLines(f("pid"), warn = FALSE)[1]))
      gone <- if (is.null(pid) || is.na(pid)) {
        difftime(Sys.time(), started, units = "secs") > 10
      } else {
        !tools::pskill(pid, 0L)
      }
      if (gone && is.null(gone_since)) gone_since <- Sys.time()
      if (!gone) gone_since <- NULL
      if (!is.null(gone_since) && difftime(Sys.time(), gone_since, units = "secs") > 2) {
        stop(gauth_condition("gauth ended without an exit status (its shell was stopped)",
                             "gauth_error"))
      }
    }
    text <- read_text(f("err"))
    lines <- split_lines(text)
    # Only whole lines until gauth has exited.
    if (!done && nzchar(text) && !grepl("\n$", text)) lines <- head(lines, -1L)
    if (length(lines) > shown) {
      new <- lines[(shown + 1L):length(lines)]
      held <- grep("^gauth: error: ", lines)
      if (length(held)) new <- new[seq_along(new) + shown < held[1]]
      for (l in r_lines(new)) message(l)
      shown <- length(lines)
    }
    if (done) break
    Sys.sleep(0.1)
  }
  list(status = as.integer(readLines(f("status"), warn = FALSE)[1]),
       stdout = read_text(f("out")), stderr = split_lines(read_text(f("err"))))
}

# Stop a background login that R no longer waits for (an interrupt): only
# while it has not exited (no status file yet) and, where /proc shows it,
# only while that pid still runs the gauth program.
stop_background <- function(pidfile, statusfile, path) {
  if (file.exists(statusfile) || !file.exists(pidfile)) return(invisible())
  pid <- suppressWarnings(as.integer(readLines(pidfile, warn = FALSE)[1]))
  if (is.na(pid) || pid <= 1L) return(invisible())
  exe <- file.path("/proc", pid, "exe")
  if (file.exists(exe) &&
      !identical(normalizePath(exe, mustWork = FALSE), normalizePath(path, mustWork = FALSE))) {
    return(invisible())
  }
  if (!file.exists(statusfile)) tools::pskill(pid, tools::SIGTERM)
  invisible()
}

# The same, with a non-zero exit turned into a classed condition carrying
# gauth's one-line message.
gauth_call <- function(args, ..., call = NULL) {
  res <- gauth_exec(args, ...)
  if (res$status != 0L) {
    stop_for_exit(res, args, call = call)
  }
  res
}

stop_for_exit <- function(res, args, call = NULL) {
  status <- res$status
  if (status == 127L && !length(res$stderr)) {
    gauth_missing("the gauth program could not be started")
  }
  class <- exit_classes[as.character(status)]
  if (is.na(class)) class <- "gauth_error"
  msg <- error_line(res$stderr)
  if (!nzchar(msg) && is.list(res$json) && is.character(res$json$summary)) {
    msg <- esc(res$json$summary[1])
  }
  if (!nzchar(msg)) {
    msg <- sprintf("`gauth %s` exited with status %d", args[1], status)
  }
  msg <- r_advice(msg)
  stop(gauth_condition(msg, unname(class), status = status,
                       stderr = res$stderr, report = res$json, call = call))
}

# What gauth escapes in its own human output (src/text/escape.rs): C0 and C1
# controls, DEL, Unicode format characters (bidi controls, zero-width) and
# the line and paragraph separators. The strings of gauth's --json are raw
# data (a process name is whatever its owner chose): shown to a person, they
# go through this first, or a name could retitle the terminal or clear it.
esc <- function(x) {
  x <- enc2utf8(as.character(x))
  broken <- !is.na(x) & !validUTF8(x)
  x[broken] <- iconv(x[broken], "UTF-8", "UTF-8", sub = "?")
  # (*UTF): PCRE reads the subject as UTF-8 even when no input is marked so.
  bad <- "(*UTF)[\\x{00}-\\x{1f}\\x{7f}-\\x{9f}\\x{2028}\\x{2029}\\p{Cf}]"
  hit <- !is.na(x) & grepl(bad, x, perl = TRUE)
  x[hit] <- vapply(x[hit], function(s) {
    cps <- utf8ToInt(s)
    if (anyNA(cps)) return(gsub("[^ -~]", "?", s, useBytes = TRUE))
    paste(vapply(cps, function(cp) {
      ch <- intToUtf8(cp)
      if (!grepl(bad, ch, perl = TRUE)) return(ch)
      switch(as.character(cp),
             "9" = "\\t", "10" = "\\n", "13" = "\\r", "27" = "\\e",
             if (cp < 0x80) sprintf("\\x%02x", cp) else sprintf("\\u{%04x}", cp))
    }, ""), collapse = "")
  }, "", USE.NAMES = FALSE)
  x
}

# The words of a command gauth printed (text/shell.rs quotes a word in
# single quotes, a quote inside as '\\''), or NULL when it uses anything else.
shell_words <- function(text) {
  chars <- strsplit(text, "")[[1]]
  words <- character()
  cur <- NULL
  i <- 1L
  n <- length(chars)
  while (i <= n) {
    ch <- chars[i]
    if (ch == " ") {
      if (!is.null(cur)) words <- c(words, cur)
      cur <- NULL
    } else if (ch == "'") {
      close <- which(chars[seq_len(n) > i] == "'")
      if (!length(close)) return(NULL)
      j <- i + close[1]
      cur <- paste0(cur %||% "", paste(chars[seq_len(j - i - 1L) + i], collapse = ""))
      i <- j
    } else if (ch == "\\" && i < n) {
      cur <- paste0(cur %||% "", chars[i + 1L])
      i <- i + 1L
    } else if (ch %in% c("$", "`", "\"")) {
      return(NULL)
    } else {
      cur <- paste0(cur %||% "", ch)
    }
    i <- i + 1L
  }
  if (!is.null(cur)) words <- c(words, cur)
  words
}

# A waiting login's way out, as gauth says it off a terminal (two gauth
# commands), said as it is done from R.
r_lines <- function(lines) {
  lines <- lines[!startsWith(lines, "`gauth login --no-wait` (the same options")]
  two <- "If it cannot reach this machine, stop this login and log in in two steps:"
  lines[lines == two] <- paste0("If it cannot reach this machine, interrupt R (Esc or Ctrl-C) ",
                                "and run the same gauth::login() with flow = \"paste\".")
  lines
}

# gauth's advice names its command-line flags; from R the same choice is an
# argument. Only the sentences that advise a flag to add are rewritten: a
# whole `gauth login …` command to run in a terminal stays as it is.
r_advice <- function(msg) {
  m <- regmatches(msg, regexec("^(.*cached logins match; pick one) by adding (.*)$", msg))[[1]]
  if (length(m)) {
    names <- c("--account" = "email", "--client-id" = "client_id",
               "--scope" = "scopes", "--issuer" = "issuer")
    alts <- lapply(strsplit(m[3], " | ", fixed = TRUE)[[1]], function(a) {
      w <- shell_words(a)
      if (is.null(w) || !length(w) || length(w) %% 2L ||
          !all(w[c(TRUE, FALSE)] %in% names(names))) return(NULL)
      flags <- names[w[c(TRUE, FALSE)]]
      by <- split(w[c(FALSE, TRUE)], factor(flags, levels = unique(flags)))
      paste(vapply(names(by), function(n) {
        v <- encodeString(by[[n]], quote = "\"")
        paste0(n, " = ", if (length(v) > 1L) sprintf("c(%s)", paste(v, collapse = ", ")) else v)
      }, ""), collapse = ", ")
    })
    # All or nothing: gauth's flags stay as they are when one choice cannot
    # be said as arguments (a login with no account, say).
    if (!any(vapply(alts, is.null, TRUE))) {
      msg <- paste0(m[2], " with ", paste(unlist(alts), collapse = " | "),
                    " (arguments of gauth::token(); a gargle package takes the email)")
    }
  }
  # A login that timed out names the same login again, and (after a
  # loopback wait) the two-step paste, as commands: from R, both are the
  # same gauth::login() call.
  if (grepl("^(no answer|nothing valid was pasted) within ", msg)) {
    msg <- sub("or `gauth login [^`]*--no-wait` then `gauth login --finish -` to paste",
               "or with flow = \"paste\" to paste", msg)
    msg <- sub("run `gauth login[^`]*` again", "run the same gauth::login() again", msg)
  }
  msg <- sub("; pass --force to kill it anyway", "; pass force = TRUE to kill it anyway",
             msg, fixed = TRUE)
  msg <- sub("start a new one with `gauth login[^`]*--no-wait`",
             "run the same gauth::login() again for a new one", msg)
  msg <- sub("start a new one with the same `gauth login \u2026 --no-wait` you ran before",
             "run the same gauth::login() again for a new one", msg, fixed = TRUE)
  sub("start one with `gauth login --no-wait`", "run the same R call again to start a new one",
      msg, fixed = TRUE)
}

flag_values <- function(flag, values) {
  if (is.null(values)) return(character())
  values <- as.character(values)
  values <- values[!is.na(values) & nzchar(values)]
  as.vector(rbind(rep(flag, length(values)), values))
}

is_interactive <- function() {
  # The same switch rlang (and so gargle) honours, so that one option makes a
  # session interactive or not for both.
  isTRUE(getOption("rlang_interactive", interactive()))
}
