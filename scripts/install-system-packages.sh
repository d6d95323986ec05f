#!/usr/bin/env bash
# Debian packages pilot-intake needs: tesseract with Chinese (OCR of scans, page orientation),
# libgl1 and libglib2.0-0 (OpenCV as RapidOCR installs it), CJK TrueType fonts
# (the sample generator embeds them), poppler-utils (page rendering). Installs only what is
# missing; needs root (or sudo).
set -euo pipefail
packages=(tesseract-ocr tesseract-ocr-chi-sim libgl1 libglib2.0-0 fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-uming
          fonts-arphic-ukai poppler-utils dovecot-imapd)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
