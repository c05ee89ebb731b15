"""Label rules and the dev-source blocklist of debian-extra (see ``debian_extra.py``).

Labels follow debian-sfx: a short English noun phrase saying what is heard ("rooster crowing"), an
instrument name for instruments, and the exact text of a debian-sfx train label when the clip is the
same sound ("cow mooing"), so that hash-based label hold-outs treat both alike. A rule is chosen only
where the file name says what the sound is; a few tuxpaint and sonic-pi names were checked on a
spectrogram. Speech, music, UI blips, fantasy/sci-fi effects and vague names have no rule (dropped).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackageRules:
    """How one Debian package is read.

    ``root``: folder inside the package (only audio below it is extracted); ``rules``: (regex searched
    case-insensitively in the path relative to root, label) tried in order; label None drops the file,
    "{1}" is replaced by the first group; unmatched files are dropped.
    """

    license: str
    root: str
    rules: tuple[tuple[str, str | None], ...]


# Dropped in every package before the package rules: spoken descriptions (tuxpaint *_desc*), speech,
# voice and menu folders. Game music needs no rule of its own: the rules only name sound effects.
GLOBAL_SKIP = r"_desc|(^|/)(speech|voices?|menu)/"

# The first batch (13 packages); the second is in debian_extra_rules_apps.py and _games.py, and the
# builder merges all three into its one ``PACKAGES`` (``debian_extra.PACKAGES``).
FIRST_BATCH: dict[str, PackageRules] = {
    "tuxpaint-stamps-default": PackageRules("GPL-2", "usr/share/tuxpaint/stamps", (
        (r"/frog\.ogg$", "frog croaking"), (r"/blackbird\.ogg$", "blackbird singing"), (r"/crow\.ogg$", "crow cawing"),
        (r"/cuckoo\.ogg$", "cuckoo calling"), (r"birds/(drake|duck)\.ogg$", "duck quacking"),
        (r"/gander\.ogg$", "goose honking"), (r"/hen\.ogg$", "chicken clucking"), (r"/lark\.ogg$", "lark singing"),
        (r"birds/owl\.ogg$", "owl hooting"), (r"/penguin\.ogg$", "penguin calling"), (r"/quetzal\.ogg$", "quetzal call"),
        (r"/rooster\.ogg$", "rooster crowing"), (r"/seagull\.ogg$", "seagull calling"), (r"/tucan\.ogg$", "toucan calling"),
        (r"/turkey\.ogg$", "turkey gobbling"), (r"/vulture\.ogg$", "vulture call"), (r"insects/bee\.ogg$", "bee buzzing"),
        (r"/grasshopper\.ogg$", "grasshopper chirping"), (r"/hornet\.ogg$", "hornet buzzing"),
        (r"/mosquito\.ogg$", "mosquito buzzing"), (r"/chimp\.ogg$", "chimpanzee call"), (r"/gorilla\.ogg$", "gorilla grunting"),
        (r"/dolphin\.ogg$", "dolphin clicking and whistling"), (r"/orca\.ogg$", "orca call"),
        (r"/sea_lion\.ogg$", "sea lion barking"), (r"/whale\.ogg$", "whale call"), (r"bears/bear\.ogg$", "bear growling"),
        (r"/bison\.ogg$", "bison grunting"), (r"/bull\.ogg$", "bull bellowing"), (r"/cow(_white)?\.ogg$", "cow mooing"),
        (r"/(mountain)?goat\.ogg$", "goat bleating"), (r"/(ram|sheep)\.ogg$", "sheep bleating"),
        (r"/sheep_lamb\.ogg$", "lamb bleating"), (r"cats/lion\.ogg$", "lion roar"), (r"/tiger\.ogg$", "tiger roaring"),
        (r"dogs/dog\.ogg$", "dog barking"), (r"/fox\.ogg$", "fox barking"), (r"mammals/elephant\.ogg$", "elephant trumpeting"),
        (r"/donkey\.ogg$", "donkey braying"), (r"/zebra\.ogg$", "zebra call"), (r"/ferret\.ogg$", "ferret chattering"),
        (r"/hippopotamus\.ogg$", "hippopotamus grunting"), (r"rodents/mouse\.ogg$", "mouse squeaking"),
        (r"/squirrel\.ogg$", "squirrel chattering"), (r"/koala\.ogg$", "koala bellowing"),
        # the dev guard drops these; the rule says what they are so the report shows it
        (r"/(camel|dromedary)\.ogg$", "camel grunt"), (r"/(caribou|deer|doe)\.ogg$", "deer call"),
        (r"equines/horse\.ogg$", "horse neighing"), (r"mammals/pig(_golden2?)?\.ogg$", "pig oinking"),
        (r"/apple_red\.ogg$", "biting into an apple"), (r"/camera_35mm\.ogg$", "camera shutter"),
        (r"/cymbal_crash\.ogg$", "crash cymbal"), (r"/drum_tomtom_floor\.ogg$", "floor tom"), (r"/drumkit\.ogg$", "drum kit beat"),
        (r"string/(cello|violin)\.ogg$", "{1}"), (r"wind/bassoon\.ogg$", "bassoon"),
        (r"/Washing-machine\.ogg$", "washing machine running"), (r"/scissors_small_closed\.ogg$", "scissors snipping"),
        (r"/rubberduck\.ogg$", "rubber duck squeaking"), (r"/toilet\.ogg$", "toilet flushing"),
        (r"tools/hammer\.ogg$", "hammer hit"), (r"tools/saw\.ogg$", "hand saw sawing wood"),
        (r"/vacuum_cleaner\.ogg$", "vacuum cleaner running"), (r"/final-roll-call\.ogg$", "bugle call"),
        (r"/lightningbolt\.ogg$", "thunder"), (r"christmas/gift\.ogg$", "wrapping paper crinkling"),
        (r"halloween/bat_left\.ogg$", "bat squeak"), (r"/blackcat\.ogg$", "cat meowing"),
        (r"newyears/fireworks\.ogg$", "fireworks"), (r"emergency/firetruck\.ogg$", "fire engine siren"),
    )),
    "scratch": PackageRules("CC-BY-SA-3.0", "usr/share/scratch/Media/Sounds", (
        (r"Animal/Bird\.", "bird chirping"), (r"Animal/Crickets?\.", "crickets chirping"), (r"Animal/Dog\d", "dog barking"),
        (r"Animal/Duck\.", "duck quacking"), (r"Animal/Goose\.", "goose honking"), (r"Animal/Horse", "horse neighing"),
        (r"Animal/Kitten\.", "kitten meowing"), (r"Animal/Meow\.", "cat meowing"), (r"Animal/Owl\.", "owl hooting"),
        (r"Animal/Rooster\.", "rooster crowing"), (r"Animal/WolfHowl", "wolf howling"),
        (r"Effects/BellToll", "church bell tolling"), (r"Effects/Bubbles", "water bubbling"),
        (r"Effects/CarPassing", "car passing by"), (r"Effects/DoorCreak", "door creaking"),
        (r"Effects/MotorcyclePassing", "motorcycle passing by"), (r"Effects/Plunge", "water splash"),
        (r"Effects/Rattle", "baby rattle shaking"), (r"Electronic/ComputerBeeps", "computer beeping"),
        (r"Human/Cough-female", "woman coughing"), (r"Human/Cough-male", "man coughing"),
        (r"Human/FingerSnap", "finger snapping"), (r"Human/Footsteps", "footsteps"),
        (r"Human/Laugh-female", "woman laughing"), (r"Human/Laugh-male", "man laughing"),
        (r"Human/PartyNoise", "party crowd chatter"), (r"Human/Scream-female", "woman screaming"),
        (r"Human/Scream-male", "man screaming"), (r"Human/Sneeze-female", "woman sneezing"),
        (r"Human/Sneeze-male", "man sneezing"), (r"Instruments/GuitarStrum", "acoustic guitar strum"),
        (r"Instruments/Tambura", "tanpura drone"), (r"Instruments/Trumpet", "trumpet"),
        (r"Percussion/CymbalCrash", "crash cymbal"), (r"Percussion/Gong", "gong"), (r"Percussion/HandClap", "hand clap"),
        (r"Percussion/RideCymbal", "ride cymbal"), (r"Percussion/Shaker", "shaker"), (r"Vocals/BeatBox", "beatboxing"),
    )),
    "sonic-pi-samples": PackageRules("CC0-1.0", "usr/share/sonic-pi/samples", (
        (r"^ambi_glass_rub", "rubbing a wine glass rim"), (r"^ambi_piano", "piano"),
        (r"^bd_|^elec_(hollow|soft)_kick", "electronic kick drum"), (r"^drum_(bass|heavy_kick)", "kick drum"),
        (r"^drum_cowbell", "cowbell"), (r"^drum_cymbal_closed", "closed hi-hat"), (r"^drum_cymbal_open", "open hi-hat"),
        (r"^drum_cymbal_pedal", "hi-hat pedal"), (r"^drum_roll", "snare drum roll"),
        (r"^drum_snare|^sn_", "snare drum"), (r"^drum_splash", "splash cymbal"), (r"^drum_tom", "tom drum"),
        (r"^elec_(filt_|hi_|lo_|mid_)?snare", "electric snare drum"), (r"^loop_3d_printer", "3D printer running"),
        (r"^loop_tabla|^tabla_", "tabla"), (r"^misc_burp", "burping"), (r"^misc_crow", "crow cawing"),
        (r"^perc_bell", "bell"), (r"^perc_snap", "finger snapping"), (r"^perc_till", "cash register ringing"),
        (r"^vinyl_backspin", "vinyl record backspin"), (r"^vinyl_hiss", "vinyl record crackle"),
        (r"^vinyl_scratch", "vinyl scratch"), (r"^guit_harmonics", "guitar harmonics"),
    )),
    "megaglest-data": PackageRules("CC-BY-SA-3.0", "usr/share/games/megaglest", (
        (r"sounds/anvil\d", "anvil clang"), (r"sounds/arrow_hit\d", "arrow impact"),
        (r"sounds/catapult_attack", "catapult launch"), (r"sounds/cow_", "cow mooing"), (r"sounds/pig_", "pig squealing"),
        (r"sounds/tech_building_fall", "building collapsing"), (r"sounds/worker_harvest_wood", "chopping wood with an axe"),
        (r"sounds/worker_mine", "pickaxe on stone"), (r"chicken/sounds/chicken_|sounds/chicken\.", "chicken clucking"),
        (r"beehive/sounds/bee\d", "bee buzzing"), (r"bull/sounds/bull_", "bull bellowing"),
        (r"thunderbird/sounds/eagle_(ack|attack|die|select)", "eagle screech"), (r"elephant/sounds/ele\d", "elephant trumpeting"),
        (r"sheep/sounds/sheep", "sheep bleating"), (r"snake_basket/", "snake hissing"),
        (r"sounds/owl\.", "owl hooting"), (r"sounds/rain\.", "rain"), (r"sounds/rooster\.", "rooster crowing"),
        (r"sounds/wolf\.", "wolf howling"), (r"sounds/hawk\.", "hawk screech"), (r"mudchute_cow", "cow mooing"),
        (r"winter\w*/sounds/wind\.", "wind"), (r"autumn/sounds/nightime\.", "night crickets"),
        (r"water_sounds/water\d", "wading through water"),
    )),
    "supertux-data": PackageRules("GPL-3+ (Files: *; see copyright)", "usr/share/games/supertux2/sounds", (
        (r"^explosion\.", "explosion"), (r"^fireworks\.", "fireworks"), (r"^firecracker\.", "firecracker popping"),
        (r"^lightning\.", "lightning strike"), (r"^phone\.", "telephone ringing"), (r"^rain\.", "rain"),
        (r"^splash\.", "water splash"), (r"^thunder\.", "thunder"), (r"^ticking\.", "ticking"), (r"^waterfall\.", "waterfall"),
        (r"^yeti_roar\.", "monster roar"), (r"^icecrash\.", "ice cracking"),
    )),
    "lugaru-data": PackageRules("CC-BY-SA-3.0 (Data/*)", "usr/share/games/lugaru/Sounds", (
        (r"^(Bark|Growl|Snarl)", "wolf growling"),  # Lugaru's wolves: the guard drops them
        (r"^BushRustle", "rustling bushes"), (r"^ClawSlice", "claw slash"), (r"^FleshStab\.", "stab into flesh"),
        (r"^FootStepGrass", "footstep on grass"), (r"^FootStepSnow", "footstep on snow"),
        (r"^FootStepStone", "footstep on stone"), (r"^Hawk", "hawk screech"), (r"^KnifeDraw", "knife drawn from a sheath"),
        (r"^KnifeSheathe", "knife sheathed"), (r"^KnifeSwish", "dagger swish"), (r"^Land\d?\.", "body landing thud"),
        (r"^MetalHit", "metal clang"), (r"^SnowSkid", "sliding on snow"), (r"^Wind\.", "wind"),
    )),
    "minetest-data": PackageRules("CC-BY-SA-3.0 (doors sounds: CC-BY-3.0)", "usr/share/games/minetest/games/minetest_game/mods", (
        (r"default_break_glass", "glass breaking"), (r"default_chest_open", "chest opening"),
        (r"default_chest_close", "chest closing"), (r"default_dig_crumbly", "digging dirt with a shovel"),
        (r"default_gravel_dig", "digging gravel with a shovel"), (r"default_dig_cracky", "pickaxe on stone"),
        (r"default_(dirt|glass|grass|gravel|metal|snow|sand|wood)_footstep", "footstep on {1}"),
        (r"default_hard_footstep", "footstep on stone"), (r"default_ice_footstep", "footstep on ice"),
        (r"default_water_footstep", "footsteps splashing in water"), (r"player_damage", "man grunting in pain"),
        (r"doors_door_open", "door opening"), (r"doors_door_close", "door closing"),
        (r"doors_steel_door_open", "metal door opening"), (r"doors_steel_door_close", "metal door closing"),
        (r"env_sounds_water", "water flowing"), (r"fire_flint_and_steel", "striking flint and steel"),
        (r"tnt_explode", "explosion"), (r"tnt_gunpowder_burning", "burning fuse"), (r"carts_cart_moving", "mine cart rolling"),
    )),
    "flightgear-data-base": PackageRules("GPL-2+", "usr/share/games/flightgear", (
        (r"c172p/Sounds/crash", "aircraft crash"), (r"c172p/Sounds/door-closing|Sounds/door_close", "door closing"),
        (r"c172p/Sounds/door-opening", "door opening"), (r"c172p/Sounds/engine-cut", "propeller engine shutting down"),
        (r"c172p/Sounds/engine-idle", "propeller plane engine idling"), (r"c172p/Sounds/engine\.", "propeller plane engine"),
        (r"c172p/Sounds/engine-crank|^Sounds/cranking", "engine cranking"), (r"c172p/Sounds/flaps-motor", "electric motor whirring"),
        (r"c172p/Sounds/keys", "keys jingling"), (r"c172p/Sounds/stall2|^Sounds/stall\.", "stall warning horn"),
        (r"c172p/Sounds/tires-rolling-(asphalt|gravel)", "tyres rolling on {1}"),
        (r"c172p/Sounds/tires-screech-asphalt", "tyres screeching"), (r"c172p/Sounds/window", "window opening"),
        (r"^Sounds/R-1535", "radial aircraft engine"), (r"^Sounds/blade_vortex|^Sounds/rotor(-2blade)?\.", "helicopter rotor"),
        (r"^Sounds/crash\.", "aircraft crash"), (r"^Sounds/engine-prop", "propeller plane engine"),
        (r"^Sounds/gatling", "gatling gun firing"), (r"^Sounds/helicopter\.", "helicopter"),
        (r"^Sounds/jet\.|^Sounds/turbojet_fan", "jet airplane engine"), (r"^Sounds/p51d_starter", "engine starter motor"),
        (r"^Sounds/prop\.", "propeller plane flying"), (r"^Sounds/radionoise", "radio static"),
        (r"^Sounds/rain-windshield", "rain on a windshield"), (r"^Sounds/rain\.", "rain"), (r"^Sounds/rumble\.", "rumbling"),
        (r"^Sounds/squeal", "tyres squealing"), (r"^Sounds/thunder", "thunder"),
        (r"^Sounds/turbine_start", "jet engine starting up"), (r"^Sounds/turbine_shutdown", "jet engine shutting down"),
        (r"^Sounds/turboprop", "turboprop engine"), (r"^Sounds/wind1?\.", "wind"),
    )),
    "scorched3d-data": PackageRules("GPL-2+ (apoc mod: CC-BY-SA-3.0; see copyright)", "usr/share/games/scorched3d/data/globalmods", (
        (r"wav/misc/carhorn", "car horn"), (r"wav/misc/cessna", "propeller plane flying"),
        (r"wav/misc/cheeringloop", "crowd cheering"), (r"wav/misc/citysounds", "city street ambience"),
        (r"wav/misc/(cows|moo)\.", "cow mooing"), (r"wav/misc/dog\d?\.", "dog barking"),
        (r"wav/misc/firetruck", "fire engine siren"), (r"wav/misc/(helicopter|apache_1)\.", "helicopter"),
        (r"wav/misc/policecar", "police car siren"), (r"wav/misc/rooster", "rooster crowing"),
        (r"wav/misc/scream", "screaming"), (r"wav/misc/sheep", "sheep bleating"), (r"wav/misc/bats\d", "bat squeak"),
        (r"wav/misc/birdchirp", "bird chirping"), (r"wav/misc/birds\d", "birds singing"), (r"wav/misc/camera", "camera shutter"),
        (r"wav/misc/(f16|f18|t38)_?\d?\.|none/data/wav/misc/jet\.", "fighter jet flyby"), (r"wav/misc/frogs", "frog croaking"),
        (r"wav/misc/gull", "seagull calling"), (r"wav/misc/oceanwaves", "seashore waves"), (r"wav/misc/rain", "rain"),
        (r"wav/misc/rocket", "rocket flying"), (r"wav/misc/splash", "water splash"), (r"wav/misc/thunder|explosions/thunder", "thunder"),
        (r"wav/misc/wolf", "wolf howling"), (r"wav/misc/lava", "lava bubbling"), (r"movement/tankmove", "tank treads rolling"),
        (r"explosions/bees\.", "bee buzzing"), (r"explosions/lightningbolt", "lightning strike"),
        (r"explosions/quake", "earthquake rumble"), (r"explosions/(large|xlarge)\.", "large explosion"),
        (r"explosions/small\.", "small explosion"), (r"explosions/(medium|exp)\.", "explosion"),
        (r"shoot/machinegun", "machine gun burst"), (r"shoot/shotgun", "shotgun shot"), (r"apoc/data/wav/shoot/launch", "rocket launch"),
        (r"none/data/wav/shoot/(small|medium|large)\.", "cannon shot"),
    )),
    "btanks-data": PackageRules("GPL-2 with the Battle Tanks exception (see copyright)", "usr/share/games/btanks/data/sounds", (
        (r"^building-explosion", "explosion with debris"), (r"^cannon\d", "cannon shot"), (r"^cow\.", "cow mooing"),
        (r"^deadman", "man dying scream"), (r"^engine-start", "engine starting"), (r"^explosion\.|^vehicle-explosion", "explosion"),
        (r"^helicopter", "helicopter"), (r"^kamikaze-scream", "man screaming"), (r"^klaxon\.", "klaxon horn"),
        (r"^man-steps", "footsteps"), (r"^mine-tick", "ticking"), (r"^nuke-explosion", "large explosion"),
        (r"^tank-move", "tank treads rolling"), (r"^train\.", "train passing"), (r"^zombie\.", "zombie groan"),
    )),
    "bucklespring-data": PackageRules("GPL-2+", "usr/share/buckle/wav", (
        # Key-down samples of a buckling-spring keyboard (file name: scan code, 0 = press, 1 = release);
        # the letter keys only, so one description does not swamp the label-balanced draw.
        (r"^(1[0-9]|1e|1f|2[0-6]|2[c-f]|3[0-2])-0\.wav$", "mechanical keyboard keystroke"),
        (r"^39-0\.wav$", "mechanical keyboard space bar"), (r"^1c-0\.wav$", "mechanical keyboard enter key"),
    )),
    "searchandrescue-data": PackageRules("GPL (see copyright)", "usr/share/games/searchandrescue/sounds", (
        (r"(^|/)helicopter_engine_start|hh6\d/engine_start", "helicopter engine starting"),
        (r"(^|/)helicopter_engine_shutdown|hh6\d/engine_shutdown", "helicopter engine shutting down"),
        (r"(^|/)helicopter_engine_outside", "helicopter"), (r"jet_engine_start", "jet engine starting up"),
        (r"jet_engine_shutdown", "jet engine shutting down"), (r"jet_engine_outside", "jet airplane engine"),
        (r"gear_down", "landing gear extending"), (r"gear_up", "landing gear retracting"),
        (r"(^|/)crash_ground", "aircraft crash"), (r"(^|/)door_close", "door closing"), (r"splash_aircraft", "large splash"),
        (r"splash_human", "water splash"), (r"(^|/)thud_", "thud"), (r"(^|/)thunder_", "thunder"),
    )),
    "micropolis-data": PackageRules("GPL-3+", "usr/share/games/micropolis/res/sounds", (
        (r"^quack", "duck quacking"), (r"^honkhonk", "car horn"), (r"^siren\.", "siren"), (r"^police\.", "police car siren"),
        (r"^skid\.", "tyres skidding"), (r"^explosion-(hi|low)\.", "explosion"), (r"^whip\.", "whip crack"),
        (r"^heavytraffic", "road traffic"),
    )),
}

# Sound sources of the 79 debian-sfx dev event labels (and the one dev background label train lacks) (from `awk -F'\t' '$1=="dev"' labels.tsv`). An extra
# label matching one of these regexes (on its lowercase text) is dropped, whatever its wording: dev
# must stay unseen as a source, not only as a string ("pig oinking" is as much a leak as "pig
# squealing"). Animals, creatures, fire/steam/lava/ice/rivers and objects are blocked as a whole
# source (so even "horse neighing", a train label, is not added). Where debian-sfx itself puts
# siblings on both sides (footsteps by surface, cymbals by type, organs...), the block follows the dev
# member's distinguishing word (surface, "ride", "hi-hat"), or the whole family when that is cheap.
# Each entry: (regex, the dev label(s) it stands for). DevGuard.uncovered() checks that every dev
# label of the base corpus is matched by some entry.
_NOT_FEMALE = r"^(?!.*\b(woman|women|girl|child|children|baby)\b)"
DEV_SOURCE_BLOCKLIST: tuple[tuple[str, str], ...] = (
    # animals and creatures
    (r"\b(camels?|dromedar(y|ies))\b", "camel groan"),
    (r"\b(crabs?|lobsters?|pincers?)\b", "crab pincers snapping"),
    (r"\b(horses?|hoof|hooves|gallop\w*|pon(y|ies)|stallions?|mares?|foals?)\b", "horse hooves galloping"),
    (r"\b(pigs?|piglets?|hogs?|swine|sows?|boars?|oink\w*)\b", "pig squealing"),
    (r"\b(snakes?|serpents?|cobras?|vipers?|rattlesnakes?|pythons?)\b", "snake hissing"),
    (r"\b(stags?|deer|does?|hinds?|elks?|reindeer|caribou)\b", "stag bellowing"),
    (r"\btails?\b", "tail whip"),
    (r"\b(wol(f|ves)|werewol(f|ves))\b", "wolf growling"),
    (r"\b(dragons?|drakes?)\b", "dragon roar"),
    (r"\bgoblins?\b", "goblin dying"),
    # fire and heat
    (r"\b(blow ?torch(es)?|torch(es)?)\b", "blowtorch"),
    (r"\b(fires?|campfires?|bonfires?|flames?|burning|blaze)\b(?!\s+(engine|truck|alarm))", "fire burning"),
    (r"\bflame ?throwers?\b", "flamethrower burst"),
    # footsteps: the dev surfaces and stairs
    (r"\b(footsteps?|steps?|walking|running|sliding)\b.*\b(rocks?|rocky|stones?)\b", "footstep on rock; sliding on rock"),
    (r"\b(stairs?|staircase)\b", "footsteps on stairs"),
    (r"\b(footsteps?|walking|running)\b.*\bwood(en)?\b", "running footsteps on wood"),
    (r"\b(footsteps?|walking|running)\b.*\bsand(y)?\b", "walking footsteps on sand"),
    # human
    (r"\bkiss\w*\b", "kiss"),
    (_NOT_FEMALE + r".*\b(scream\w*|shriek\w*)\b", "man death scream; man dying scream"),
    (r"\b(man|men|male)\b.*\b(death|dying|dies?)\b", "man death scream; man dying scream"),
    (r"\b(punch\w*|fist\w*)\b", "punch"),
    # machines
    (r"\bmachine(s|ry)?\b(?!\s+guns?)", "machine running; mill machinery"),
    (r"\bmills?\b", "mill machinery"),
    (r"\bsteam\b(?!\s+(locomotive|train))", "steam hiss"),
    # music: the instrument families of the dev instruments
    (r"\bbanjos?\b", "banjo"), (r"\b(choirs?|choral|aahs?)\b", "choir aahs"), (r"\borgans?\b", "electric organ"),
    (r"\bflutes?\b", "flute"), (r"\bharmonicas?\b", "harmonica"), (r"\bharpsichords?\b", "harpsichord"),
    (r"\bharps?\b", "orchestral harp"), (r"\bpiccolos?\b", "piccolo"), (r"\bshakuhachi\b", "shakuhachi"),
    (r"\bsynth\w*\b", "new age synth pad; rain synth effect; soundtrack synth effect; synth bass"),
    (r"\bbass\b(?!\s+drum)", "picked electric bass; synth bass"), (r"\bsax(ophone)?s?\b", "soprano saxophone"),
    (r"\bguitars?\b", "steel string acoustic guitar"), (r"\b(vibraphones?|vibes)\b", "vibraphone"),
    # nature
    (r"\b(ice|icicles?|frozen)\b", "ice cracking"), (r"\b(lava|magma)\b", "lava bubbling"),
    (r"\brivers?\b", "river flowing"), (r"\b(streams?|creeks?|brooks?)\b", "stream flowing"),
    # objects
    (r"\bpotions?\b", "dropping potion"),
    (r"\bmetal\w*\b.*\b(break\w*|snap\w*|crack\w*|shatter\w*)\b|\b(break\w*|snap\w*)\b.*\bmetal\b", "metal breaking"),
    (r"\bgates?\b", "stone gate opening"), (r"\b(ringback|dial tone|ringing tone)\b", "telephone ringback tone"),
    (r"\bwindows?\b", "window opening"),
    (r"\bwood\w*\b.*\b(break\w*|snap\w*|crack\w*|splinter\w*)\b|\b(break\w*|snap\w*|splinter\w*)\b.*\bwood\w*\b",
     "wood breaking"),
    # percussion
    (r"\bhi-?hats?\b|\bhihats?\b", "closed hi-hat"), (r"\bguiros?\b", "long guiro"), (r"\bwhistles?\b", "long whistle"),
    (r"\b(toms?|tom-toms?|tomtoms?)\b", "melodic tom"), (r"\btriangles?\b", "muted triangle; open triangle"),
    (r"\bride\b", "ride cymbal"), (r"\b(rimshots?|rim shots?|rim clicks?|side stick)\b", "rimshot"),
    (r"\bshakers?\b", "shaker"),
    # tools
    (r"\bchisel\w*\b", "chiselling stone"), (r"\b(hammer\w*|mallets?)\b", "hammering wood"),
    (r"\b(pick ?axes?|picks?|mining)\b", "pickaxe on metal ore; pickaxe on stone"),
    (r"\b(bush(es)?|shrubs?|hedges?|rustl\w*)\b", "rustling bushes"),
    # vehicles
    (r"\b(carts?|minecarts?|wagons?|wheelbarrows?)\b", "mine cart rolling; wooden cart rolling"),
    (r"\b(model|rc|toy) (air)?planes?\b|\bquadcopters?\b", "model airplane buzzing"),
    (r"\btraffic\b", "road traffic"),
    (r"\b(ships?|boats?)\b", "ship creaking on waves"),  # a dev background whose label train never uses
    # weapons
    (r"\b(axes?|hatchets?)\b", "axe chop"), (r"\b(clubs?|cudgels?|bludgeons?)\b", "club hit"),
    (r"\bcrossbows?\b", "crossbow shot"), (r"\bshields?\b", "hit on a wooden shield"), (r"\bpikes?\b", "pike thrust"),
    (r"\bshotguns?\b", "shotgun shot"), (r"\bslings?\b", "sling stone hitting metal"),
    (r"\b(swords?|sabres?|sabers?|swing\w*)\b", "sword swing; weapon swing"), (r"\bweapons?\b", "weapon swing"),
)
