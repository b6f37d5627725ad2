# Sourced by ./flashj and ./run-tests: sets FLASHJ_JAVA_HOME to a JDK 25 or newer, or explains how to get one.
# Looks at JAVA_HOME first, then the usual install places, then `java` on the PATH.

flashj_java_feature() { # prints the feature release of the java binary $1 (e.g. 25), or nothing
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  case "$v" in 1.*) echo "${v#1.}" | cut -d. -f1 ;; *) echo "${v%%.*}" ;; esac
}

flashj_find_jdk() {
  local candidates=() c home feature
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/java/* "$HOME"/.sdkman/candidates/java/* \
           "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    candidates+=("$c")
  fi
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    feature=$(flashj_java_feature "$home/bin/java")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ] 2>/dev/null; then
      FLASHJ_JAVA_HOME="$home"
      return 0
    fi
  done
  {
    echo "flashj: no JDK 25 or newer found (looked at JAVA_HOME, /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks and java on the PATH)."
    echo "flashj: install one, e.g. Eclipse Temurin 25 from https://adoptium.net (or 'sdk install java 25-tem'),"
    echo "flashj: then set JAVA_HOME to it."
  } >&2
  return 1
}
