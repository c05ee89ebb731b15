"""debian-extra, second batch: label rules for game data packages.

Same conventions as ``debian_extra_rules.py``. Berusky 2 and Eat The Whistle name their files in
Czech and Italian (``Hrom`` thunder, ``Krysa`` rat, ``racek`` seagull, ``Zblunk`` a plop into water,
``dvereotevrit``/``dverezavrit`` door opening/closing, ``odemceni`` unlocking; ``boou`` booing,
``fischio`` whistle, ``palo`` goalpost); the rules translate them.
"""

from __future__ import annotations

from flamkit.data.corpora.debian_extra_rules import PackageRules

GAME_PACKAGES: dict[str, PackageRules] = {
    "berusky2-data": PackageRules("GPL-2+", "usr/share/games/berusky2/sound/sound", (
        (r"^Blesk\d", "lightning strike"), (r"^Hrom\d", "thunder"), (r"^Krysa\d", "rat squeaking"),
        (r"^Ptak\d|^ptak\d", "bird chirping"), (r"^racek\d", "seagull calling"), (r"^Vitr\d", "wind"),
        (r"^Zblunk\d", "plop into water"), (r"^(Bubl|bubliny)\d", "water bubbling"), (r"^dvereotevrit", "door opening"),
        (r"^dverezavrit", "door closing"), (r"^frog\d", "frog croaking"), (r"^odemceni\d", "key unlocking a lock"),
        (r"^Exploze\d", "explosion"), (r"^zvon\d", "bell"), (r"^stepsgrass", "footstep on grass"),
        (r"^stepsnow", "footstep on snow"), (r"^stepssteel", "footstep on metal"),
        (r"^stepsand", "footstep on sand"), (r"^stepsstone", "footstep on stone"), (r"^stepswood", "footstep on wood"),
    )),
    "simutrans-pak64": PackageRules("Artistic-1.0", "usr/share/games/simutrans/pak/sound", (
        (r"^buzzsaw\.", "circular saw"), (r"^cash\.", "cash register ringing"), (r"^comet-jet\.", "jet airliner flying by"),
        (r"^crossing\.", "level crossing bell ringing"), (r"^diesel\.", "diesel locomotive"), (r"^explosion\.", "explosion"),
        (r"^gavel\.", "gavel banging"), (r"^jackhammer\.", "jackhammer"), (r"^seagulls\.", "seagull calling"),
        (r"^steam\.", "steam locomotive"), (r"^truck\.", "truck driving by"), (r"^bus\.", "bus engine"),
        (r"^boat-horn\.", "boat horn"), (r"^horse\.", "horse neighing"),  # dropped by the guard
    )),
    "etw-data": PackageRules("GPL-2+", "usr/share/games/etw", (
        (r"^crowd/crowd\d", "stadium crowd"), (r"^snd/boou\.", "crowd booing"), (r"^snd/dog\.", "dog barking"),
        (r"^snd/palo\.", "ball hitting a goalpost"), (r"^snd/shoot\d?\.", "kicking a football"),
        (r"^intro/bombdrop\.", "bomb falling whistle"),
        (r"^snd/fischio(corto|lungo)\.", "referee whistle"),  # dropped by the guard
    )),
    "dustracing2d-data": PackageRules("GPL-3+", "usr/share/games/dustracing2d/sounds", (
        (r"^carEngine\.", "racing car engine"), (r"^carHit\d?\.", "car crash"), (r"^cheering\.", "crowd cheering"),
        (r"^skid\.", "tyres skidding"),
    )),
    "frozen-bubble-data": PackageRules("GPL-2", "usr/share/games/frozen-bubble/snd", (
        (r"^applause\.", "applause"), (r"^snore\.", "snoring"), (r"^typewriter\.", "typewriter keystroke"),
    )),
    "tuxmath-data": PackageRules("GPL-3+", "usr/share/tuxmath/sounds", (
        (r"^cheer\.", "crowd cheering"), (r"^towerclock\.", "clock tower chiming"), (r"^explosion\.", "explosion"),
        (r"^harp\.", "harp"),  # dropped by the guard
    )),
    "madbomber-data": PackageRules("GPL-2", "usr/share/games/madbomber/sounds", (
        (r"^bigexplosion\.", "large explosion"), (r"^explosion\.", "explosion"), (r"^can-shake\.", "spray can shaking"),
        (r"^spray\.", "spray can spraying"), (r"^splash\d\.", "water splash"),
        (r"^fuse\.", "burning fuse"),  # dropped by the guard
    )),
    "foobillardplus-data": PackageRules("GPL-2", "usr/share/games/foobillardplus/data", (
        (r"^applause\.", "applause"), (r"^ballinhole\.", "billiard ball dropping into a pocket"),
    )),
    "heroes-sound-effects": PackageRules("GPL-2+", "usr/share/games/heroes/sfx", (
        (r"^claxon\.", "klaxon horn"), (r"^clock0\d\.", "clock ticking"), (r"^coins\.", "coins jingling"),
        (r"^explo01\.", "explosion"),
    )),
    "7kaa-data": PackageRules("GPL-2+", "usr/share/games/7kaa/SOUND", (
        (r"^QUAKE\.", "earthquake rumble"), (r"^RAIN\.", "rain"), (r"^THUNDER\.", "thunder"), (r"^WIND\.", "wind"),
        (r"^FIRE\.", "fire crackling"),  # dropped by the guard
    )),
    "plee-the-bear-data": PackageRules("CC-BY-SA-3.0 (media files)", "usr/share/games/plee-the-bear/sound", (
        (r"frog/croak-", "frog croaking"), (r"gorilla/hit-chest", "gorilla beating its chest"),
        (r"^plee/snore\.", "snoring"), (r"^weather/rain\.", "rain"), (r"^effect/earthquake\.", "earthquake rumble"),
        (r"^splash\.", "water splash"),
    )),
    "pekka-kana-2-data": PackageRules("BSD-2-Clause", "usr/share/games/pekka-kana-2/data", (
        (r"^sfx/moo\.", "cow mooing"), (r"^sfx/splash\.", "water splash"), (r"^sprites/hen\.", "chicken clucking"),
        (r"^sprites/chick\.", "chick peeping"), (r"^sprites/crow\.", "crow cawing"), (r"^sprites/bee\.", "bee buzzing"),
        (r"^sprites/eggcrack\.", "egg cracking"), (r"^sprites/bird\.", "bird chirping"),
        (r"^sprites/pig2?\.", "pig oinking"),  # dropped by the guard
    )),
    "trophy-data": PackageRules("GPL-2", "usr/share/games/trophy/sounds", (
        (r"^carhorn\.", "car horn"), (r"^dog\.", "dog barking"),
    )),
}
