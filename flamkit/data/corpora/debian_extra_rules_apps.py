"""debian-extra, second batch: label rules for the sound libraries of educational and desktop applications.

Same conventions as ``debian_extra_rules.py``: a rule only where the file name says what is heard,
the exact text of a debian-sfx train (or first-batch) label when the clip is the same sound, and
rules for dev sources kept so that the guard's report shows them. qABCs' ``noises/`` folder has one
clip per picture of a children's alphabet; only the pictures that make a sound of their own
(animals, instruments, machines) have a rule: cartoon characters, flags, letters and silent objects
(earth, hat, snail...) are dropped.
"""

from __future__ import annotations

from flamkit.data.corpora.debian_extra_rules import PackageRules

_QABCS_NOISES: tuple[tuple[str, str | None], ...] = tuple(
    (rf"^noises/({stem})\.ogg$", label)
    for stem, label in (
        # animals
        ("albatross", "albatross call"), ("bear", "bear growling"), ("bird", "bird chirping"), ("calf", "calf mooing"),
        ("cat", "cat meowing"), ("chimpanzee", "chimpanzee call"), ("cow", "cow mooing"), ("crow", "crow cawing"),
        ("dog", "dog barking"), ("dolphin", "dolphin call"), ("duck", "duck quacking"), ("eagle-owl", "eagle owl hooting"),
        ("elephant", "elephant trumpeting"), ("emu", "emu call"), ("ferret", "ferret chattering"),
        ("flamingo", "flamingo call"), ("frog", "frog croaking"), ("goose", "goose honking"),
        ("grasshopper", "grasshopper chirping"), ("guinea_fowl", "guinea fowl call"), ("hamster", "hamster squeaking"),
        ("heron", "heron call"), ("hyena", "hyena call"), ("koala", "koala bellowing"), ("lion", "lion roar"),
        ("little_monkey", "monkey chattering"), ("moose", "moose call"), ("mouse", "mouse squeaking"),
        ("owl", "owl hooting"), ("pheasant", "pheasant call"), ("quail", "quail call"), ("quetzal", "quetzal call"),
        ("rooster", "rooster crowing"), ("sheep", "sheep bleating"), ("sparrow", "sparrow chirping"),
        ("squirrel", "squirrel chattering"), ("tiger", "tiger roaring"), ("vulture", "vulture call"),
        ("whale", "whale call"), ("wood_grouse", "wood grouse call"), ("yak", "yak grunting"), ("zebra", "zebra call"),
        # instruments
        ("accordion|squeezebox", "accordion"), ("bagpipes", "bagpipe"), ("bass_drum", "bass drum"), ("cello", "cello"),
        ("clarinet", "clarinet"), ("cuica", "cuica"), ("cymbals", "cymbals"), ("dulzaina", "dulzaina"), ("erhu", "erhu"),
        ("gamba", "viola da gamba"), ("grand_piano|piano", "piano"), ("hang", "hang drum"), ("kazoo", "kazoo"),
        ("lute", "lute"), ("maracas", "maracas"), ("natural_horn", "natural horn"), ("ney", "ney"), ("oboe", "oboe"),
        ("quena", "quena"), ("rabel", "rabel"), ("recorder", "recorder"), ("rozhok", "rozhok"),
        ("slit_drum", "slit drum"), ("spoons", "playing spoons"), ("timpani", "timpani"), ("topshuur", "topshur"),
        ("trumpet", "trumpet"), ("ukulele", "ukulele"), ("violin", "violin"), ("washint", "washint"), ("xun", "xun"),
        ("xylophone", "xylophone"), ("yangqin", "yangqin"), ("youhikko", "jouhikko"), ("yueqin", "yueqin"),
        ("zhaleyka", "zhaleyka"), ("zither", "zither"), ("zurna", "zurna"),
        # machines and objects
        ("excavator", "excavator engine"), ("helicopter", "helicopter"), ("rocket", "rocket launch"),
        ("tractor", "tractor engine"), ("clock", "clock ticking"), ("watch", "watch ticking"),
        ("dice", "dice rolling"), ("rubber_ball", "rubber ball bouncing"), ("skateboard", "skateboard rolling"),
        ("ratchet", "ratchet clicking"), ("zipper", "zipper"),
        # dev sources: the guard drops them (the rule says what they are)
        ("deer", "deer call"), ("foal|horse", "horse neighing"), ("pig", "pig oinking"), ("wolf", "wolf howling"),
        ("python|aesculapian_snake", "snake hissing"), ("fire", "fire crackling"), ("flute|western_concert_flute", "flute"),
        ("guitar|electric_guitar", "guitar"), ("harmonica", "harmonica"), ("harp", "harp"), ("organ|hand_organ", "barrel organ"),
        ("saxophone", "saxophone"), ("whistle", "whistle blowing"), ("quadrocopter", "quadcopter buzzing"),
    )
)

APP_PACKAGES: dict[str, PackageRules] = {
    "qabcs-data": PackageRules("GPL-3+", "usr/share/qabcs/abcs/all", (
        *_QABCS_NOISES, (r"^sounds/cheering\.ogg$", "crowd cheering"),
    )),
    "libreoffice-common": PackageRules("MPL-2.0", "usr/lib/libreoffice/share/gallery/sounds", (
        (r"^applause\.", "applause"), (r"^cow\.", "cow mooing"), (r"^explos\.", "explosion"),
        (r"^glasses\.", "glasses clinking"), (r"^gong\.", "gong"), (r"^kongas\.", "conga drum"),
        (r"^horse\.", "horse neighing"),  # dropped by the guard
    )),
    "xemacs21-basesupport": PackageRules("GPL", "usr/share/xemacs21/xemacs-packages/etc/sounds", (
        (r"^bark\.", "dog barking"), (r"^catmeow\.", "cat meowing"), (r"^slap\.", "slap"), (r"^snore\.", "snoring"),
        (r"^whip\.", "whip crack"), (r"^hammer\.", "hammer hit"), (r"^kiss\.", "kiss"), (r"^shotgun\.", "shotgun shot"),
    )),
    "tuxpaint-data": PackageRules("GPL-2+", "usr/share/tuxpaint/sounds", (
        (r"^typewriterbell\.", "typewriter bell"), (r"^giggle\.", "giggling"), (r"^harp\.", "harp"),
    )),
    "hydrogen-data": PackageRules("GPL-2+", "usr/share/hydrogen/data/drumkits", (
        (r"^GMRockKit/Cowbell-", "cowbell"), (r"^GMRockKit/Crash-", "crash cymbal"), (r"^GMRockKit/HandClap", "hand clap"),
        (r"^GMRockKit/Kick-", "kick drum"), (r"^GMRockKit/Snare-", "snare drum"), (r"^GMRockKit/Splash-", "splash cymbal"),
        (r"^GMRockKit/(24)?Ride-", "ride cymbal"), (r"^GMRockKit/Bell-", "ride bell"), (r"^GMRockKit/HatClosed-", "closed hi-hat"),
        (r"^GMRockKit/HatOpen-", "open hi-hat"), (r"^GMRockKit/SideStick-", "side stick"), (r"^GMRockKit/SnareRimshot-", "rimshot"),
        (r"^GMRockKit/Tom", "tom drum"),
        (r"^TR808EmulationKit/808_Clap", "electronic clap"), (r"^TR808EmulationKit/808_Clave", "electronic clave"),
        (r"^TR808EmulationKit/808_Conga", "electronic conga"), (r"^TR808EmulationKit/808_Cowbell", "electronic cowbell"),
        (r"^TR808EmulationKit/808_Cymbal", "electronic cymbal"), (r"^TR808EmulationKit/808_Kick", "electronic kick drum"),
        (r"^TR808EmulationKit/808_Snare", "electric snare drum"), (r"^TR808EmulationKit/808_Shaker", "shaker"),
        (r"^TR808EmulationKit/808_Hat", "hi-hat"), (r"^TR808EmulationKit/808_Tom", "tom drum"),
    )),
}
